import type { CheckResult } from './check.js';

export interface HealthDiagnostics {
  hostname: string;
  /** The kid of this instance's registry token signing key. */
  localServiceKeyId: string;
  notes: string[];
}

export interface HealthData {
  services: Record<string, boolean>;
  services_expanded?: Record<string, CheckResult>;
  notes?: string[];
  hostname?: string;
  local_service_key_id?: string;
}

/** Quay's health document; status_code is also the HTTP status. */
export interface HealthAnswer {
  data: HealthData;
  status_code: 200 | 503;
}

/** The answer for `results`: 503 when any check failed; the diagnostics only when given (superusers). */
export function healthAnswer(results: Record<string, CheckResult>, diagnostics?: HealthDiagnostics): HealthAnswer {
  const services = Object.fromEntries(Object.entries(results).map(([name, result]) => [name, result.status]));
  const healthy = Object.values(services).every(Boolean);
  const data: HealthData = { services };
  if (diagnostics) {
    data.services_expanded = results;
    data.notes = diagnostics.notes;
    data.hostname = diagnostics.hostname;
    data.local_service_key_id = diagnostics.localServiceKeyId;
  }
  return { data, status_code: healthy ? 200 : 503 };
}
