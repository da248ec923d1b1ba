import { Alert, Button, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core';
import { useToasts } from '../../components/Toasts';
import { shortDigest } from '../../format';
import { useRestoreTag } from './tagHistoryApi';

/** Confirms pointing a tag back at a manifest from the time machine. */
export function RestoreTagModal(props: { namespace: string; name: string; tag: string; digest: string; onClose(): void }) {
  const restore = useRestoreTag(props.namespace, props.name);
  const toasts = useToasts();
  const confirm = () =>
    restore.mutate(
      { tag: props.tag, digest: props.digest },
      {
        onSuccess: () => {
          toasts.success(`Restored tag ${props.tag} to ${shortDigest(props.digest)}`);
          props.onClose();
        },
      },
    );
  return (
    <Modal variant="small" isOpen onClose={props.onClose} aria-labelledby="restore-tag-title">
      <ModalHeader title="Restore tag" labelId="restore-tag-title" />
      <ModalBody>
        <p className="qs-wrap-anywhere">
          Point tag <strong>{props.tag}</strong> at manifest <code data-testid="restore-digest">{props.digest}</code> again? If
          the tag points at another manifest now, that one stays in the time machine.
        </p>
        {restore.isError && (
          <Alert variant="danger" isInline title="The tag was not restored" data-testid="restore-error">
            {restore.error.message}
          </Alert>
        )}
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" onClick={confirm} isLoading={restore.isPending} isDisabled={restore.isPending}>
          Restore
        </Button>
        <Button variant="link" onClick={props.onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
