import { Button, ClipboardCopy, Content, Popover } from '@patternfly/react-core';
import { DownloadIcon } from '@patternfly/react-icons';
import { usePublicConfig } from '../../api/session';

/** How to fetch one tag: podman and docker, by tag and by digest, against this registry's host. */

interface PullTarget {
  namespace: string;
  name: string;
  tag: string;
  digest: string;
}

function useRegistryHost(): string {
  return usePublicConfig().data?.config.SERVER_HOSTNAME ?? window.location.host;
}

function pullCommands(host: string, target: PullTarget) {
  const image = `${host}/${target.namespace}/${target.name}`;
  return [
    { id: 'podman-tag', title: 'Podman pull (by tag)', command: `podman pull ${image}:${target.tag}` },
    { id: 'docker-tag', title: 'Docker pull (by tag)', command: `docker pull ${image}:${target.tag}` },
    { id: 'podman-digest', title: 'Podman pull (by digest)', command: `podman pull ${image}@${target.digest}` },
    { id: 'docker-digest', title: 'Docker pull (by digest)', command: `docker pull ${image}@${target.digest}` },
  ];
}

export function PullCommandList(props: PullTarget) {
  const host = useRegistryHost();
  return (
    <div data-testid="pull-commands">
      {pullCommands(host, props).map((entry) => (
        <div key={entry.id} data-testid={`pull-${entry.id}`} style={{ marginBottom: 'var(--pf-t--global--spacer--sm)' }}>
          <Content component="small">{entry.title}</Content>
          <ClipboardCopy isReadOnly hoverTip="Copy" clickTip="Copied" textAriaLabel={entry.title}>
            {entry.command}
          </ClipboardCopy>
        </div>
      ))}
    </div>
  );
}

/** The pull icon of a tag row; hovering or focusing it shows the commands. */
export function PullPopover(props: PullTarget) {
  return (
    <Popover
      triggerAction="hover"
      aria-label={`Fetch tag ${props.tag}`}
      headerContent="Fetch the tag"
      bodyContent={<PullCommandList {...props} />}
      minWidth="min(32rem, 90vw)"
      maxWidth="min(40rem, 95vw)"
    >
      <Button variant="plain" aria-label={`Pull commands for ${props.tag}`} icon={<DownloadIcon />} data-testid="pull-icon" />
    </Popover>
  );
}
