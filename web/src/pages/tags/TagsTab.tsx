import { EmptyState, EmptyStateBody } from '@patternfly/react-core';
import { CubesIcon } from '@patternfly/react-icons';
import { Table, Th, Thead, Tr } from '@patternfly/react-table';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { runEach } from '../../api/bulk';
import type { RepositoryTabProps } from '../../api/repository';
import { repoTagsKey, type TagView } from '../../api/tags';
import { LoadError } from '../../components/LoadError';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { Loading } from '../../components/Loading';
import { useToasts } from '../../components/Toasts';
import { ChangeExpirationModal } from './ChangeExpirationModal';
import { EditLabelsModal } from './EditLabelsModal';
import { type TagAction, TagRows } from './TagRows';
import { TagsToolbar } from './TagsToolbar';
import { deleteTag, useActiveTags } from './tagsApi';

type OpenModal = { action: TagAction; tags: TagView[] } | undefined;

function DeleteTagsModal(props: { namespace: string; name: string; tags: TagView[]; onClose(): void; onDeleted(): void }) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const names = props.tags.map((tag) => tag.name);
  return (
    <ConfirmDeleteModal
      isOpen
      title={names.length === 1 ? `Delete tag ${names[0]}?` : `Delete ${names.length} tags?`}
      noun="tags"
      items={names}
      onClose={props.onClose}
      onConfirm={async () => {
        const { failures } = await runEach(names, (tag) => deleteTag(props.namespace, props.name, tag));
        await queryClient.invalidateQueries({ queryKey: repoTagsKey(props.namespace, props.name) });
        for (const failure of failures) toasts.failure(`Could not delete tag ${failure.item}`, failure.error);
        const deleted = names.filter((tag) => !failures.some((failure) => failure.item === tag));
        if (deleted.length > 0) toasts.success(`Successfully deleted ${deleted.length === 1 ? 'tag' : 'tags'} ${deleted.join(', ')}`);
        props.onDeleted();
      }}
    />
  );
}

function TagsModals(props: { namespace: string; name: string; open: OpenModal; onClose(): void; onDeleted(): void }) {
  const { open } = props;
  if (!open || open.tags.length === 0) return null;
  const common = { namespace: props.namespace, name: props.name, onClose: props.onClose };
  switch (open.action) {
    case 'delete':
      return <DeleteTagsModal {...common} tags={open.tags} onDeleted={props.onDeleted} />;
    case 'expiration':
      return <ChangeExpirationModal {...common} tags={open.tags} />;
    case 'labels':
      return open.tags[0] ? <EditLabelsModal {...common} tag={open.tags[0]} /> : null;
  }
}

/** The repository's live tags: filter, select, page, and act on one or many. */
export function TagsTab({ namespace, name, repository }: RepositoryTabProps) {
  const tags = useActiveTags(namespace, name);
  const [filter, setFilter] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [page, setPage] = useState(1);
  const [perPage, setPerPage] = useState(20);
  const [modal, setModal] = useState<OpenModal>();
  const canEdit = repository.can_write && repository.state === 'NORMAL';

  const matching = useMemo(
    () => (tags.data ?? []).filter((tag) => tag.name.toLowerCase().includes(filter.trim().toLowerCase())),
    [tags.data, filter],
  );
  const shown = matching.slice((page - 1) * perPage, page * perPage);
  const selectedTags = (tags.data ?? []).filter((tag) => selected.has(tag.name));

  if (tags.isPending) {
    return <Loading what="tags" />;
  }
  if (tags.isError) return <LoadError error={tags.error} />;
  if (tags.data.length === 0) {
    return (
      <EmptyState titleText="This repository has no tags" headingLevel="h2" icon={CubesIcon}>
        <EmptyStateBody>Push an image to this repository to see its tags here.</EmptyStateBody>
      </EmptyState>
    );
  }

  const select = (which: 'none' | 'page' | 'all') => {
    const chosen = which === 'none' ? [] : which === 'page' ? shown : matching;
    setSelected(new Set(chosen.map((tag) => tag.name)));
  };
  const toggle = (tag: string, isSelected: boolean) => {
    const next = new Set(selected);
    if (isSelected) next.add(tag);
    else next.delete(tag);
    setSelected(next);
  };

  return (
    <>
      <TagsToolbar
        canEdit={canEdit}
        filter={filter}
        onFilter={(value) => {
          setFilter(value);
          setPage(1);
        }}
        selectedCount={selectedTags.length}
        pageCount={shown.length}
        totalCount={matching.length}
        onSelect={select}
        onExpiration={() => setModal({ action: 'expiration', tags: selectedTags })}
        onDelete={() => setModal({ action: 'delete', tags: selectedTags })}
        paging={{
          page,
          perPage,
          onPage: setPage,
          onPerPage: (value) => {
            setPerPage(value);
            setPage(1);
          },
        }}
      />
      <Table aria-label="Tags" data-testid="tags-table" variant="compact" isExpandable>
        <Thead>
          <Tr>
            <Th screenReaderText="Select" modifier="fitContent" />
            <Th screenReaderText="Platforms" modifier="fitContent" />
            <Th width={20}>Tag</Th>
            <Th>Security</Th>
            <Th modifier="fitContent">Size</Th>
            <Th modifier="wrap">Last modified</Th>
            <Th modifier="wrap">Expires</Th>
            <Th modifier="fitContent">Manifest</Th>
            <Th screenReaderText="Pull and actions" modifier="fitContent" />
          </Tr>
        </Thead>
        {shown.map((tag, index) => (
          <TagRows
            key={tag.name}
            namespace={namespace}
            name={name}
            tag={tag}
            rowIndex={index}
            canEdit={canEdit}
            isSelected={selected.has(tag.name)}
            onSelect={(isSelected) => toggle(tag.name, isSelected)}
            onAction={(action) => setModal({ action, tags: [tag] })}
          />
        ))}
      </Table>
      {matching.length === 0 && (
        <EmptyState titleText="No tags match the filter" headingLevel="h3" variant="sm">
          <EmptyStateBody>No tag name contains “{filter}”.</EmptyStateBody>
        </EmptyState>
      )}
      <TagsModals
        namespace={namespace}
        name={name}
        open={modal}
        onClose={() => setModal(undefined)}
        onDeleted={() => {
          setSelected(new Set());
          setModal(undefined);
        }}
      />
    </>
  );
}
