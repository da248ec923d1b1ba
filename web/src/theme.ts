/** Light, dark or device-based appearance, kept in this browser (Quay keeps it per browser too). */

export type ThemePreference = 'light' | 'dark' | 'device';

const STORAGE_KEY = 'quayside.theme';
const DARK_CLASS = 'pf-v6-theme-dark';
const listeners = new Set<() => void>();

export function themePreference(): ThemePreference {
  const stored = localStorage.getItem(STORAGE_KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'device';
}

function prefersDark(): boolean {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
}

export function applyTheme(preference: ThemePreference = themePreference()): void {
  const dark = preference === 'dark' || (preference === 'device' && prefersDark());
  document.documentElement.classList.toggle(DARK_CLASS, dark);
}

export function setThemePreference(preference: ThemePreference): void {
  localStorage.setItem(STORAGE_KEY, preference);
  applyTheme(preference);
  for (const listener of listeners) listener();
}

export function onThemeChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Follows the device's setting while the preference is "device". */
export function watchDeviceTheme(): void {
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (themePreference() === 'device') applyTheme('device');
  });
}
