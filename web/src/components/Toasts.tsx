import { Alert, AlertActionCloseButton, AlertGroup } from '@patternfly/react-core';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';

/** Success and failure notices in the corner of the page ("Successfully deleted robot account"). */

type Variant = 'success' | 'danger' | 'warning' | 'info';
interface Toast {
  id: number;
  variant: Variant;
  title: string;
}

interface ToastApi {
  notify(variant: Variant, title: string): void;
  success(title: string): void;
  failure(title: string, err?: unknown): void;
}

const ToastContext = createContext<ToastApi | undefined>(undefined);
let nextId = 1;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const notify = useCallback(
    (variant: Variant, title: string) => {
      const id = nextId++;
      setToasts((all) => [...all, { id, variant, title }]);
      window.setTimeout(() => dismiss(id), 8000);
    },
    [dismiss],
  );
  const value = useMemo<ToastApi>(
    () => ({
      notify,
      success: (title) => notify('success', title),
      failure: (title, err) => notify('danger', err instanceof Error ? `${title}: ${err.message}` : title),
    }),
    [notify],
  );
  return (
    <ToastContext.Provider value={value}>
      {children}
      <AlertGroup isToast isLiveRegion>
        {toasts.map((toast) => (
          <Alert
            key={toast.id}
            variant={toast.variant}
            title={toast.title}
            data-testid="toast"
            actionClose={<AlertActionCloseButton onClose={() => dismiss(toast.id)} />}
          />
        ))}
      </AlertGroup>
    </ToastContext.Provider>
  );
}

export function useToasts(): ToastApi {
  const api = useContext(ToastContext);
  if (!api) throw new Error('useToasts outside ToastProvider');
  return api;
}
