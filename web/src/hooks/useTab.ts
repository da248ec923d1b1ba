import { useSearchParams } from 'react-router';

/** The selected tab of a tabbed page, kept in `?tab=` so that it survives reloads and links. */
export function useTab(defaultTab: string): [string, (tab: string) => void] {
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? defaultTab;
  return [
    tab,
    (next) =>
      setParams((current) => {
        const copy = new URLSearchParams(current);
        copy.set('tab', next);
        return copy;
      }),
  ];
}
