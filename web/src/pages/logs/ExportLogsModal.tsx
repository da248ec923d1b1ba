import {
  Alert,
  Button,
  Form,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  TextInput,
} from '@patternfly/react-core';
import { useState } from 'react';
import { useToasts } from '../../components/Toasts';
import { type DayRange, type ExportTarget, useExportLogs } from './logsApi';
import type { LogScope } from './logsApi';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ADDRESS_HINT = 'Enter an e-mail address, or a callback URL starting with http:// or https://.';

/** Where the export link should go, or why the text names no usable address. */
export function exportTarget(text: string): ExportTarget | { problem: string } {
  const value = text.trim();
  if (/^https?:\/\//i.test(value)) {
    try {
      const url = new URL(value);
      if (url.hostname !== '') return { callback_url: value };
    } catch {
      // falls through to the problem below
    }
    return { problem: 'This callback URL is not a valid http:// or https:// URL.' };
  }
  if (EMAIL_PATTERN.test(value)) return { callback_email: value };
  return { problem: ADDRESS_HINT };
}

export function ExportLogsModal(props: { scope: LogScope; range: DayRange; onClose(): void }) {
  const [address, setAddress] = useState('');
  const [problem, setProblem] = useState<string>();
  const exportLogs = useExportLogs(props.scope, props.range);
  const toasts = useToasts();

  const submit = () => {
    const target = exportTarget(address);
    if ('problem' in target) {
      setProblem(target.problem);
      return;
    }
    setProblem(undefined);
    exportLogs.mutate(target, {
      onSuccess: (result) => {
        toasts.success(`Logs export queued with id ${result.export_id}`);
        props.onClose();
      },
    });
  };

  return (
    <Modal variant="small" isOpen onClose={props.onClose} aria-labelledby="export-logs-title">
      <ModalHeader title="Export usage logs" labelId="export-logs-title" />
      <ModalBody>
        <p>
          The entries from {props.range.from} to {props.range.to} (UTC) are exported to a file; a link to it is sent to the
          address below.
        </p>
        <Form
          id="export-logs-form"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <FormGroup label="E-mail address or callback URL" fieldId="export-logs-address" isRequired>
            <TextInput
              id="export-logs-address"
              value={address}
              validated={problem ? 'error' : 'default'}
              onChange={(_e, value) => setAddress(value)}
              placeholder="you@example.com or https://example.com/hook"
            />
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant={problem ? 'error' : 'default'} data-testid="export-logs-helper">
                  {problem ?? ADDRESS_HINT}
                </HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
        </Form>
        {exportLogs.isError && (
          <Alert variant="danger" isInline title="The export was not accepted" data-testid="export-logs-error">
            {exportLogs.error.message}
          </Alert>
        )}
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" type="submit" form="export-logs-form" isLoading={exportLogs.isPending} isDisabled={exportLogs.isPending}>
          Start export
        </Button>
        <Button variant="link" onClick={props.onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
