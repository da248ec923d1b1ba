import {
  Button,
  Dropdown,
  DropdownItem,
  DropdownList,
  EmptyState,
  EmptyStateBody,
  Label,
  MenuToggle,
  PageSection,
  Pagination,
  SearchInput,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useCurrentUser } from '../../api/session';
import type { RepositorySummary } from '../../api/repositories';
import { LoadError } from '../../components/LoadError';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { Loading } from '../../components/Loading';
import { useToasts } from '../../components/Toasts';
import { formatBytes, formatDate } from '../../format';
import { CreateRepositoryModal } from './CreateRepositoryModal';
import {
  type BulkOutcome,
  changeVisibility,
  creatableNamespaces,
  deleteRepository,
  forEachRepository,
  refreshRepositories,
  repositoryFullName,
  repositoryLink,
  useRepositoryList,
  type Visibility,
} from './repositoriesApi';

const PER_PAGE_DEFAULT = 20;

/** The Repositories page: every repository of the user's own namespace and organizations. */
export function RepositoriesListPage() {
  return (
    <>
      <PageSection>
        <Title headingLevel="h1">Repositories</Title>
      </PageSection>
      <PageSection>
        <RepositoriesTable />
      </PageSection>
    </>
  );
}

function matches(repo: RepositorySummary, search: string): boolean {
  const text = search.trim().toLowerCase();
  return text === '' || repositoryFullName(repo).toLowerCase().includes(text);
}

/** One toast for a bulk action: how many succeeded, and the first failure's message. */
function reportOutcome(toasts: ReturnType<typeof useToasts>, outcome: BulkOutcome, done: string): void {
  if (outcome.succeeded > 0) toasts.success(`${done} ${outcome.succeeded} ${outcome.succeeded === 1 ? 'repository' : 'repositories'}`);
  const [first] = outcome.failures;
  if (first) {
    const others = outcome.failures.length - 1;
    toasts.failure(`Failed for ${first.name}${others > 0 ? ` and ${others} more` : ''}`, first.error);
  }
}

/** "More actions" for the selected repositories: visibility and deletion. */
function BulkActions(props: { selected: RepositorySummary[]; onVisibility(visibility: Visibility): void; onDelete(): void }) {
  const [open, setOpen] = useState(false);
  const none = props.selected.length === 0;
  return (
    <Dropdown
      isOpen={open}
      onOpenChange={setOpen}
      onSelect={() => setOpen(false)}
      toggle={(ref) => (
        <MenuToggle ref={ref} onClick={() => setOpen(!open)} isExpanded={open} isDisabled={none} data-testid="repositories-actions">
          More actions
        </MenuToggle>
      )}
    >
      <DropdownList>
        <DropdownItem key="public" onClick={() => props.onVisibility('public')}>
          Make public
        </DropdownItem>
        <DropdownItem key="private" onClick={() => props.onVisibility('private')}>
          Make private
        </DropdownItem>
        <DropdownItem key="delete" onClick={props.onDelete} isDanger>
          Delete
        </DropdownItem>
      </DropdownList>
    </Dropdown>
  );
}

function RepositoryRows(props: {
  repositories: RepositorySummary[];
  showNamespace: boolean;
  showSize: boolean;
  selected: Set<string>;
  onSelect(repo: RepositorySummary, isSelected: boolean): void;
  onSelectAll(isSelected: boolean): void;
}) {
  const allSelected = props.repositories.length > 0 && props.repositories.every((repo) => props.selected.has(repositoryFullName(repo)));
  return (
    <Table aria-label="Repositories" data-testid="repositories-table">
      <Thead>
        <Tr>
          <Th select={{ isSelected: allSelected, onSelect: (_e, isSelected) => props.onSelectAll(isSelected) }} aria-label="Select all" />
          <Th>Name</Th>
          <Th>Visibility</Th>
          <Th>Last modified</Th>
          {props.showSize && <Th>Size</Th>}
        </Tr>
      </Thead>
      <Tbody>
        {props.repositories.map((repo, rowIndex) => {
          const fullName = repositoryFullName(repo);
          return (
            <Tr key={fullName} data-repository={fullName}>
              <Td select={{ rowIndex, isSelected: props.selected.has(fullName), onSelect: (_e, isSelected) => props.onSelect(repo, isSelected) }} />
              <Td dataLabel="Name" className="qs-wrap-anywhere">
                <Link to={repositoryLink(repo)}>{props.showNamespace ? fullName : repo.name}</Link>
                {repo.state !== 'NORMAL' && (
                  <>
                    {' '}
                    <Label isCompact color="orange">
                      {repo.state === 'MIRROR' ? 'mirror' : 'read-only'}
                    </Label>
                  </>
                )}
              </Td>
              <Td dataLabel="Visibility">
                <Label isCompact color={repo.is_public ? 'green' : 'grey'} data-testid="repository-visibility">
                  {repo.is_public ? 'public' : 'private'}
                </Label>
              </Td>
              <Td dataLabel="Last modified">{formatDate(repo.last_modified)}</Td>
              {props.showSize && <Td dataLabel="Size">{formatBytes(repo.quota_report?.quota_bytes)}</Td>}
            </Tr>
          );
        })}
      </Tbody>
    </Table>
  );
}

/**
 * The repositories of `namespace` (the Repositories tab of an organization or user), or of every
 * namespace the user belongs to: search, bulk visibility and deletion, and creation.
 */
export function RepositoriesTable({ namespace }: { namespace?: string }) {
  const user = useCurrentUser().data;
  const list = useRepositoryList(user, namespace);
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [perPage, setPerPage] = useState(PER_PAGE_DEFAULT);
  const [selectedNames, setSelectedNames] = useState<Set<string>>(new Set());
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState(false);

  const repositories = list.data ?? [];
  const filtered = useMemo(() => repositories.filter((repo) => matches(repo, search)), [repositories, search]);
  const shown = filtered.slice((page - 1) * perPage, page * perPage);
  const selected = repositories.filter((repo) => selectedNames.has(repositoryFullName(repo)));
  const namespaces = creatableNamespaces(user);
  const createIn = namespace === undefined ? namespaces : namespaces.filter((ns) => ns === namespace);

  function select(repos: RepositorySummary[], isSelected: boolean) {
    setSelectedNames((current) => {
      const next = new Set(current);
      for (const repo of repos) {
        if (isSelected) next.add(repositoryFullName(repo));
        else next.delete(repositoryFullName(repo));
      }
      return next;
    });
  }

  async function setVisibility(visibility: Visibility) {
    const targets = selected;
    const outcome = await forEachRepository(targets, (repo) => changeVisibility(repo, visibility));
    reportOutcome(toasts, outcome, `Made ${visibility}`);
    await refreshRepositories(queryClient, targets);
  }

  async function deleteSelected() {
    const targets = selected;
    const outcome = await forEachRepository(targets, deleteRepository);
    reportOutcome(toasts, outcome, 'Deleted');
    setSelectedNames(new Set());
    await refreshRepositories(queryClient, targets);
  }

  if (list.isPending) {
    return <Loading what="repositories" />;
  }
  if (list.isError) return <LoadError error={list.error} />;

  return (
    <>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <SearchInput
              aria-label="Search repositories"
              placeholder="Search by name"
              value={search}
              onChange={(_e, value) => {
                setSearch(value);
                setPage(1);
              }}
              onClear={() => setSearch('')}
            />
          </ToolbarItem>
          {createIn.length > 0 && (
            <ToolbarItem>
              <Button onClick={() => setCreating(true)} data-testid="create-repository">
                Create Repository
              </Button>
            </ToolbarItem>
          )}
          <ToolbarItem>
            <BulkActions selected={selected} onVisibility={(visibility) => void setVisibility(visibility)} onDelete={() => setDeleting(true)} />
          </ToolbarItem>
          <ToolbarItem variant="pagination" align={{ default: 'alignEnd' }}>
            <Pagination
              itemCount={filtered.length}
              page={page}
              perPage={perPage}
              onSetPage={(_e, next) => setPage(next)}
              onPerPageSelect={(_e, next) => {
                setPerPage(next);
                setPage(1);
              }}
              isCompact
            />
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {filtered.length === 0 ? (
        <EmptyState titleText="No repositories" headingLevel="h2" data-testid="repositories-empty">
          <EmptyStateBody>{search ? 'No repository matches this search.' : 'There are no repositories here yet.'}</EmptyStateBody>
        </EmptyState>
      ) : (
        <RepositoryRows
          repositories={shown}
          showNamespace={namespace === undefined}
          showSize={repositories.some((repo) => repo.quota_report !== undefined)}
          selected={selectedNames}
          onSelect={(repo, isSelected) => select([repo], isSelected)}
          onSelectAll={(isSelected) => select(shown, isSelected)}
        />
      )}
      {creating && <CreateRepositoryModal namespaces={createIn} defaultNamespace={namespace ?? user?.username} onClose={() => setCreating(false)} />}
      <ConfirmDeleteModal
        title="Delete repositories?"
        noun="repositories"
        items={selected.map(repositoryFullName)}
        isOpen={deleting}
        onClose={() => setDeleting(false)}
        onConfirm={deleteSelected}
      />
    </>
  );
}
