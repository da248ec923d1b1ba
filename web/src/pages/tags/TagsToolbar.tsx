import {
  Dropdown,
  DropdownItem,
  DropdownList,
  MenuToggle,
  MenuToggleCheckbox,
  Pagination,
  SearchInput,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { useState } from 'react';

/** Selects none, the shown page, or every tag that matches the filter. */
function BulkSelect(props: { selectedCount: number; pageCount: number; totalCount: number; onSelect(which: 'none' | 'page' | 'all'): void }) {
  const [open, setOpen] = useState(false);
  const allChecked = props.selectedCount > 0 && props.selectedCount === props.totalCount;
  const checked = allChecked ? true : props.selectedCount > 0 ? null : false;
  const choose = (which: 'none' | 'page' | 'all') => {
    setOpen(false);
    props.onSelect(which);
  };
  return (
    <Dropdown
      isOpen={open}
      onOpenChange={setOpen}
      toggle={(ref) => (
        <MenuToggle
          ref={ref}
          onClick={() => setOpen(!open)}
          isExpanded={open}
          aria-label="Select tags"
          splitButtonItems={[
            <MenuToggleCheckbox
              id="tags-bulk-select"
              key="bulk-select"
              aria-label="Select all tags"
              isChecked={checked}
              onChange={(isChecked) => choose(isChecked ? 'all' : 'none')}
            >
              {props.selectedCount > 0 ? `${props.selectedCount} selected` : ''}
            </MenuToggleCheckbox>,
          ]}
        />
      )}
    >
      <DropdownList>
        <DropdownItem onClick={() => choose('none')}>Select none (0)</DropdownItem>
        <DropdownItem onClick={() => choose('page')}>Select page ({props.pageCount})</DropdownItem>
        <DropdownItem onClick={() => choose('all')}>Select all ({props.totalCount})</DropdownItem>
      </DropdownList>
    </Dropdown>
  );
}

function BulkActions(props: { isDisabled: boolean; onExpiration(): void; onDelete(): void }) {
  const [open, setOpen] = useState(false);
  return (
    <Dropdown
      isOpen={open}
      onOpenChange={setOpen}
      toggle={(ref) => (
        <MenuToggle ref={ref} onClick={() => setOpen(!open)} isExpanded={open} isDisabled={props.isDisabled} data-testid="tags-actions">
          Actions
        </MenuToggle>
      )}
    >
      <DropdownList>
        <DropdownItem
          onClick={() => {
            setOpen(false);
            props.onExpiration();
          }}
        >
          Set expiration
        </DropdownItem>
        <DropdownItem
          isDanger
          onClick={() => {
            setOpen(false);
            props.onDelete();
          }}
        >
          Delete
        </DropdownItem>
      </DropdownList>
    </Dropdown>
  );
}

export interface Paging {
  page: number;
  perPage: number;
  onPage(page: number): void;
  onPerPage(perPage: number): void;
}

export function TagsToolbar(props: {
  canEdit: boolean;
  filter: string;
  onFilter(value: string): void;
  selectedCount: number;
  pageCount: number;
  totalCount: number;
  onSelect(which: 'none' | 'page' | 'all'): void;
  onExpiration(): void;
  onDelete(): void;
  paging: Paging;
}) {
  return (
    <Toolbar>
      <ToolbarContent>
        {props.canEdit && (
          <ToolbarItem>
            <BulkSelect selectedCount={props.selectedCount} pageCount={props.pageCount} totalCount={props.totalCount} onSelect={props.onSelect} />
          </ToolbarItem>
        )}
        <ToolbarItem>
          <SearchInput
            aria-label="Filter by tag name"
            placeholder="Filter by tag name"
            value={props.filter}
            onChange={(_e, value) => props.onFilter(value)}
            onClear={() => props.onFilter('')}
          />
        </ToolbarItem>
        {props.canEdit && (
          <ToolbarItem>
            <BulkActions isDisabled={props.selectedCount === 0} onExpiration={props.onExpiration} onDelete={props.onDelete} />
          </ToolbarItem>
        )}
        <ToolbarItem variant="pagination" align={{ default: 'alignEnd' }}>
          <Pagination
            isCompact
            itemCount={props.totalCount}
            page={props.paging.page}
            perPage={props.paging.perPage}
            onSetPage={(_e, page) => props.paging.onPage(page)}
            onPerPageSelect={(_e, perPage) => props.paging.onPerPage(perPage)}
          />
        </ToolbarItem>
      </ToolbarContent>
    </Toolbar>
  );
}
