import {
  Alert,
  Button,
  DatePicker,
  Flex,
  FlexItem,
  Form,
  FormGroup,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  TimePicker,
} from '@patternfly/react-core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { runEach } from '../../api/bulk';
import { repoTagsKey, type TagView } from '../../api/tags';
import { useToasts } from '../../components/Toasts';
import { formatDate, parseApiDate } from '../../format';
import { setTagExpiration } from './tagsApi';

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

function dateInputValue(date: Date | undefined): string {
  return date ? `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` : '';
}

function timeInputValue(date: Date | undefined): string {
  return date ? `${pad(date.getHours())}:${pad(date.getMinutes())}` : '';
}

/** The local instant the two pickers describe, or undefined while either is incomplete. */
function combine(day: string, time: string): Date | undefined {
  const dayMatch = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const timeMatch = /^(\d{1,2}):(\d{2})$/.exec(time);
  if (!dayMatch || !timeMatch) return undefined;
  const [, year, month, date] = dayMatch.map(Number) as [number, number, number, number];
  const [, hours, minutes] = timeMatch.map(Number) as [number, number, number];
  if (hours > 23 || minutes > 59) return undefined;
  const result = new Date(year, month - 1, date, hours, minutes);
  return Number.isNaN(result.getTime()) ? undefined : result;
}

function tagList(tags: TagView[]): string {
  return `${tags.length === 1 ? 'tag' : 'tags'} ${tags.map((t) => t.name).join(', ')}`;
}

/** Sets (or clears) when one or several tags expire. */
export function ChangeExpirationModal(props: { namespace: string; name: string; tags: TagView[]; onClose(): void }) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const current = props.tags.length === 1 ? parseApiDate(props.tags[0]?.expiration) : undefined;
  const [day, setDay] = useState(dateInputValue(current));
  const [time, setTime] = useState(current ? timeInputValue(current) : '12:00');
  const [busy, setBusy] = useState(false);
  const chosen = combine(day, time);
  const inPast = chosen !== undefined && chosen.getTime() <= Date.now();

  const apply = async (expiresAt: Date | null) => {
    setBusy(true);
    const { failures } = await runEach(props.tags, (tag) => setTagExpiration(props.namespace, props.name, tag.name, expiresAt));
    await queryClient.invalidateQueries({ queryKey: repoTagsKey(props.namespace, props.name) });
    setBusy(false);
    if (failures.length > 0) {
      for (const failure of failures) toasts.failure(`Could not change the expiration of tag ${failure.item.name}`, failure.error);
      return;
    }
    toasts.success(
      expiresAt === null
        ? `Successfully cleared expiration for ${tagList(props.tags)}`
        : `Successfully set expiration for ${tagList(props.tags)} to ${formatDate(expiresAt)}`,
    );
    props.onClose();
  };

  return (
    <Modal variant="small" isOpen onClose={props.onClose} aria-labelledby="change-expiration-title" data-testid="change-expiration-modal">
      <ModalHeader title="Change tags expiration" labelId="change-expiration-title" />
      <ModalBody>
        <p>
          When the {tagList(props.tags)} should expire. An expired tag is removed from the repository; it stays
          restorable from the tag history for the namespace&apos;s time machine window.
        </p>
        <Form onSubmit={(e) => e.preventDefault()}>
          <FormGroup label="Expiration date and time" fieldId="expiration-date">
            <Flex gap={{ default: 'gapSm' }} flexWrap={{ default: 'wrap' }}>
              <FlexItem>
                <DatePicker
                  value={day}
                  onChange={(_e, value) => setDay(value)}
                  aria-label="Expiration date"
                  inputProps={{ id: 'expiration-date' }}
                  validators={[(date) => (date.getTime() < new Date().setHours(0, 0, 0, 0) ? 'The date must not be in the past' : '')]}
                />
              </FlexItem>
              <FlexItem>
                <TimePicker is24Hour time={time} onChange={(_e, value) => setTime(value)} aria-label="Expiration time" width="8rem" />
              </FlexItem>
            </Flex>
          </FormGroup>
        </Form>
        {inPast && <Alert variant="warning" isInline isPlain title="The expiration must be in the future." />}
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" isDisabled={!chosen || inPast || busy} isLoading={busy} onClick={() => chosen && apply(chosen)}>
          Change expiration
        </Button>
        <Button variant="secondary" isDisabled={busy} onClick={() => apply(null)}>
          Clear expiration
        </Button>
        <Button variant="link" onClick={props.onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
