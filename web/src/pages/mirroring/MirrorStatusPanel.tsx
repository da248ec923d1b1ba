import {
  Button,
  Card,
  CardBody,
  CardFooter,
  CardTitle,
  DescriptionList,
  Flex,
  Label,
  type LabelProps,
} from '@patternfly/react-core';
import { Link } from 'react-router';
import { isSyncBusy, type MirrorConfigView, type MirrorSyncStatus, useMirrorActions } from '../../api/mirror';
import { DescriptionField } from '../../components/DescriptionField';
import { useToasts } from '../../components/Toasts';
import { formatDate } from '../../format';

const STATUS_LABELS: Record<MirrorSyncStatus, { text: string; color: LabelProps['color'] }> = {
  NEVER_RUN: { text: 'Never run', color: 'grey' },
  SYNC_NOW: { text: 'Sync now', color: 'blue' },
  SYNCING: { text: 'Syncing', color: 'blue' },
  SUCCESS: { text: 'Success', color: 'green' },
  FAIL: { text: 'Failed', color: 'red' },
  CANCEL: { text: 'Cancelled', color: 'orange' },
};

/** Where the mirror stands: the last and next sync, retries left, and "Sync now" / "Cancel". */
export function MirrorStatusPanel(props: { namespace: string; name: string; mirror: MirrorConfigView }) {
  const { mirror } = props;
  const { syncNow, cancel } = useMirrorActions(props.namespace, props.name);
  const toasts = useToasts();
  const busy = isSyncBusy(mirror.sync_status);
  const status = STATUS_LABELS[mirror.sync_status] ?? { text: mirror.sync_status, color: 'grey' };
  const lastSync = mirror.last_sync;

  async function run(action: typeof syncNow, done: string, failed: string) {
    try {
      await action.mutateAsync();
      toasts.success(done);
    } catch (err) {
      toasts.failure(failed, err);
    }
  }

  return (
    <Card data-testid="mirror-status-panel" className="pf-v6-u-mb-lg">
      <CardTitle component="h2">Status</CardTitle>
      <CardBody>
        <DescriptionList columnModifier={{ default: '1Col', md: '2Col' }} isCompact>
          <DescriptionField term="State" testId="mirror-status">
            <Flex spaceItems={{ default: 'spaceItemsSm' }}>
              <Label color={status.color}>{status.text}</Label>
              {!mirror.is_enabled && (
                <Label color="grey" variant="outline" data-testid="mirror-disabled">
                  Mirroring disabled
                </Label>
              )}
            </Flex>
          </DescriptionField>
          <DescriptionField term="Next sync" testId="mirror-next-sync">
            {mirror.is_enabled ? formatDate(mirror.sync_start_date) : 'None while mirroring is disabled'}
          </DescriptionField>
          <DescriptionField term="Retries remaining" testId="mirror-retries">
            {mirror.sync_retries_remaining}
          </DescriptionField>
          <DescriptionField term="Last sync started" testId="mirror-last-started">
            {formatDate(lastSync?.started)}
          </DescriptionField>
          <DescriptionField term="Last sync finished" testId="mirror-last-finished">
            {formatDate(lastSync?.finished)}
          </DescriptionField>
          <DescriptionField term="Last sync message" testId="mirror-last-message">
            {lastSync?.message || 'None'}
          </DescriptionField>
        </DescriptionList>
      </CardBody>
      <CardFooter>
        <Flex spaceItems={{ default: 'spaceItemsMd' }} alignItems={{ default: 'alignItemsCenter' }}>
          <Button
            variant="secondary"
            data-testid="mirror-sync-now"
            isDisabled={busy || syncNow.isPending}
            isLoading={syncNow.isPending}
            onClick={() => void run(syncNow, 'A sync was requested', 'Could not request a sync')}
          >
            Sync now
          </Button>
          <Button
            variant="secondary"
            isDanger
            data-testid="mirror-cancel"
            isDisabled={!busy || cancel.isPending}
            isLoading={cancel.isPending}
            onClick={() => void run(cancel, 'The sync was cancelled', 'Could not cancel the sync')}
          >
            Cancel
          </Button>
          <Link to="?tab=logs" data-testid="mirror-logs-link">
            Details in the usage logs
          </Link>
        </Flex>
      </CardFooter>
    </Card>
  );
}
