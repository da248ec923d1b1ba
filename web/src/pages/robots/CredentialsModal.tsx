import {
  Alert,
  AlertActionLink,
  Button,
  ClipboardCopy,
  ClipboardCopyButton,
  CodeBlock,
  CodeBlockAction,
  Content,
  Form,
  FormGroup,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  Spinner,
  Tab,
  Tabs,
  TabTitleText,
} from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useToasts } from '../../components/Toasts';
import { type RobotCredentials, type RobotScope, regenerateRobotToken, robotKeys, shortName, useRobotCredentials } from './robotsApi';

function CopyableLine(props: { id: string; label: string; value: string }) {
  return (
    <FormGroup label={props.label} fieldId={props.id}>
      <ClipboardCopy key={props.value} isReadOnly inputId={props.id} textAriaLabel={props.label} hoverTip="Copy" clickTip="Copied">
        {props.value}
      </ClipboardCopy>
    </FormGroup>
  );
}

/** Multi-line text (the Secret YAML), wrapped so that long base64 lines stay inside narrow screens. */
function CopyableBlock(props: { id: string; value: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    navigator.clipboard
      ?.writeText(props.value)
      .then(() => setCopied(true))
      .catch(() => setCopied(false));
  };
  const actions = (
    <CodeBlockAction>
      <ClipboardCopyButton id={`${props.id}-copy`} textId={props.id} aria-label="Copy" onClick={copy} exitDelay={600} variant="plain">
        {copied ? 'Copied' : 'Copy'}
      </ClipboardCopyButton>
    </CodeBlockAction>
  );
  return (
    <CodeBlock actions={actions}>
      <pre id={props.id} data-testid={props.id} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', margin: 0 }}>
        {props.value}
      </pre>
    </CodeBlock>
  );
}

function CredentialTabs(props: { credentials: RobotCredentials }) {
  const [tab, setTab] = useState<string | number>('account');
  const { credentials } = props;
  return (
    <Tabs activeKey={tab} onSelect={(_e, key) => setTab(key)} aria-label="Credential formats" mountOnEnter>
      <Tab eventKey="account" title={<TabTitleText>Robot account</TabTitleText>}>
        <Form onSubmit={(e) => e.preventDefault()} className="pf-v6-u-pt-md">
          <CopyableLine id="robot-username" label="Username" value={credentials.username} />
          <CopyableLine id="robot-token" label="Robot token" value={credentials.password} />
        </Form>
      </Tab>
      <Tab eventKey="docker" title={<TabTitleText>Docker login</TabTitleText>}>
        <Form onSubmit={(e) => e.preventDefault()} className="pf-v6-u-pt-md">
          <CopyableLine id="robot-docker-login" label="Docker login command" value={credentials.docker_login} />
        </Form>
      </Tab>
      <Tab eventKey="kubernetes" title={<TabTitleText>Kubernetes secret</TabTitleText>}>
        <Content component="p" className="pf-v6-u-pt-md">
          Save this as a file, create it with <code>kubectl create -f</code>, and name the secret in a pod's imagePullSecrets.
        </Content>
        <CopyableBlock id="robot-kubernetes-secret" value={credentials.kubernetes_secret} />
      </Tab>
      <Tab eventKey="podman" title={<TabTitleText>Podman login</TabTitleText>}>
        <Form onSubmit={(e) => e.preventDefault()} className="pf-v6-u-pt-md">
          <CopyableLine id="robot-podman-login" label="Podman login command" value={credentials.podman_login} />
        </Form>
      </Tab>
    </Tabs>
  );
}

/** Asks before replacing the token: every client using the old one stops working at once. */
function RegenerateConfirmation(props: { busy: boolean; onConfirm(): void; onCancel(): void }) {
  return (
    <Alert
      variant="warning"
      isInline
      title="Regenerate the token?"
      data-testid="regenerate-confirmation"
      actionLinks={
        <>
          <AlertActionLink onClick={props.onConfirm} isDisabled={props.busy} data-testid="confirm-regenerate">
            Regenerate now
          </AlertActionLink>
          <AlertActionLink onClick={props.onCancel}>Cancel</AlertActionLink>
        </>
      }
    >
      The current token stops working immediately; clients must sign in again with the new one.
    </Alert>
  );
}

/** "View credentials": the token and ready-made login commands and pull secret, and token regeneration. */
export function CredentialsModal(props: { scope: RobotScope; robotName: string; onClose(): void }) {
  const shortname = shortName(props.robotName);
  const credentials = useRobotCredentials(props.scope, shortname);
  const [confirming, setConfirming] = useState(false);
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const regenerate = useMutation({
    mutationFn: () => regenerateRobotToken(props.scope, shortname),
    onSuccess: async () => {
      setConfirming(false);
      await queryClient.invalidateQueries({ queryKey: robotKeys.credentials(props.scope, shortname) });
      toasts.success(`Successfully regenerated the token of ${props.robotName}`);
    },
    onError: (err) => toasts.failure('Could not regenerate the token', err),
  });
  return (
    <Modal variant="medium" isOpen onClose={props.onClose} aria-labelledby="robot-credentials-title" data-testid="robot-credentials-modal">
      <ModalHeader
        title="Credentials"
        labelId="robot-credentials-title"
        description={<span className="qs-wrap-anywhere">{props.robotName}</span>}
      />
      <ModalBody>
        {confirming && (
          <RegenerateConfirmation busy={regenerate.isPending} onConfirm={() => regenerate.mutate()} onCancel={() => setConfirming(false)} />
        )}
        {credentials.isPending && <Spinner size="lg" aria-label="Loading credentials" />}
        {credentials.isError && (
          <Alert variant="danger" isInline title={`Could not load the credentials: ${credentials.error.message}`} />
        )}
        {credentials.data && <CredentialTabs credentials={credentials.data} />}
      </ModalBody>
      <ModalFooter>
        <Button variant="secondary" onClick={() => setConfirming(true)} isDisabled={confirming} data-testid="regenerate-token">
          Regenerate token
        </Button>
        <Button variant="link" onClick={props.onClose}>
          Close
        </Button>
      </ModalFooter>
    </Modal>
  );
}
