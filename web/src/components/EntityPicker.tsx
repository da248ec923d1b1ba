import { Menu, MenuContent, MenuItem, MenuList, Popper, SearchInput } from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { api } from '../api/client';

/** A user, robot or team, as GET /api/v1/entities/{prefix} returns them. */
export interface Entity {
  name: string;
  kind: 'user' | 'team' | 'org';
  is_robot?: boolean;
}

/**
 * Search-as-you-type for users, robots and (with `includeTeams`) teams of `namespace`, used to
 * add members, grant permissions and choose default-permission targets.
 */
export function EntityPicker(props: {
  namespace: string;
  includeTeams?: boolean;
  /** Which kinds may be chosen (default: all). */
  accept?: (entity: Entity) => boolean;
  placeholder?: string;
  onSelect(entity: Entity): void;
  id?: string;
}) {
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const searchRef = useRef<HTMLDivElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const prefix = text.trim();
  const found = useQuery({
    queryKey: ['entities', props.namespace, prefix, props.includeTeams ?? false],
    queryFn: async () =>
      (
        await api<{ results: Entity[] }>(`/api/v1/entities/${encodeURIComponent(prefix)}`, {
          query: { namespace: props.namespace, includeTeams: props.includeTeams ?? false },
        })
      ).results,
    enabled: prefix.length > 0,
  });
  const results = (found.data ?? []).filter((entity) => props.accept?.(entity) ?? true);
  const menu = (
    <Menu ref={menuRef} onSelect={() => setOpen(false)}>
      <MenuContent>
        <MenuList>
          {results.length === 0 ? (
            <MenuItem isDisabled>{found.isFetching ? 'Searching…' : 'No matches'}</MenuItem>
          ) : (
            results.map((entity) => (
              <MenuItem
                key={`${entity.kind}:${entity.name}`}
                description={entity.kind === 'team' ? 'team' : entity.is_robot ? 'robot account' : 'user'}
                onClick={() => {
                  props.onSelect(entity);
                  setText('');
                  setOpen(false);
                }}
              >
                {entity.name}
              </MenuItem>
            ))
          )}
        </MenuList>
      </MenuContent>
    </Menu>
  );
  return (
    <div ref={searchRef}>
      <Popper
        trigger={
          <SearchInput
            id={props.id}
            aria-label={props.placeholder ?? 'Search for a user, robot or team'}
            placeholder={props.placeholder ?? 'Search for a user, robot or team'}
            value={text}
            onChange={(_e, value) => {
              setText(value);
              setOpen(value.trim().length > 0);
            }}
            onClear={() => {
              setText('');
              setOpen(false);
            }}
          />
        }
        triggerRef={searchRef}
        popper={menu}
        popperRef={menuRef}
        isVisible={open}
        onDocumentClick={(event) => {
          if (!menuRef.current?.contains(event?.target as Node) && !searchRef.current?.contains(event?.target as Node)) setOpen(false);
        }}
      />
    </div>
  );
}
