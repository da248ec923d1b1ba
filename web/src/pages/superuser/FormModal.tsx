import { Alert, Button, Form, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core';
import { type ReactNode, useId, useState } from 'react';
import { errorText } from '../../api/client';

/**
 * A modal around one form of the superuser panel: submit runs `onSubmit`; a failure stays open
 * with the server's message, a success closes (or, with `result`, shows what came back instead).
 */
export function FormModal(props: {
  title: string;
  isOpen: boolean;
  submitLabel: string;
  canSubmit: boolean;
  onClose(): void;
  onSubmit(): Promise<unknown>;
  children: ReactNode;
  /** Shown in place of the form after a successful submit, with only a Done button (e.g. a generated secret). */
  result?: ReactNode;
}) {
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const close = () => {
    setError(undefined);
    props.onClose();
  };
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onSubmit();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal variant="small" isOpen={props.isOpen} onClose={close} aria-labelledby={titleId}>
      <ModalHeader title={props.title} labelId={titleId} />
      <ModalBody>
        {props.result ?? (
          <Form
            onSubmit={(e) => {
              e.preventDefault();
              if (props.canSubmit && !busy) void submit();
            }}
          >
            {error && <Alert variant="danger" isInline title={error} data-testid="form-error" />}
            {props.children}
            {/* Enter in a field submits the form. */}
            <button type="submit" hidden aria-hidden="true" tabIndex={-1} />
          </Form>
        )}
      </ModalBody>
      <ModalFooter>
        {props.result ? (
          <Button variant="primary" onClick={close}>
            Done
          </Button>
        ) : (
          <>
            <Button variant="primary" isDisabled={!props.canSubmit || busy} isLoading={busy} onClick={() => void submit()}>
              {props.submitLabel}
            </Button>
            <Button variant="link" onClick={close}>
              Cancel
            </Button>
          </>
        )}
      </ModalFooter>
    </Modal>
  );
}
