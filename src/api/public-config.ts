import type { QuaysideConfig } from '../config/load.js';
import { registryService } from '../net/public-host.js';
import type { ApiRouter } from './router.js';

/**
 * GET /config: what the web UI needs to know before anyone signs in (Quay's endpoint of the same
 * name): the public part of config.yaml, every FEATURE_ flag without its prefix, and the registry
 * state. Nothing secret is listed; keys are copied one by one, never the whole config.
 */

const PUBLIC_CONFIG_KEYS = [
  'REGISTRY_TITLE',
  'REGISTRY_TITLE_SHORT',
  'BRANDING',
  'PREFERRED_URL_SCHEME',
  'AUTHENTICATION_TYPE',
  'TAG_EXPIRATION_OPTIONS',
  'DEFAULT_TAG_EXPIRATION',
  'PERMANENTLY_DELETE_TAGS',
  'REGISTRY_STATE',
] as const satisfies readonly (keyof QuaysideConfig)[];

function featureFlags(config: QuaysideConfig): Record<string, boolean> {
  const features: Record<string, boolean> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith('FEATURE_') && typeof value === 'boolean') features[key.slice('FEATURE_'.length)] = value;
  }
  return features;
}

export function publicConfigView(config: QuaysideConfig, hostHeader: string | undefined) {
  const shown: Record<string, unknown> = {};
  for (const key of PUBLIC_CONFIG_KEYS) {
    if (config[key] !== undefined) shown[key] = config[key];
  }
  shown['SERVER_HOSTNAME'] = registryService(config, hostHeader);
  return {
    config: shown,
    features: featureFlags(config),
    registry_state: config.REGISTRY_STATE,
    oauth: {},
    external_login: [],
  };
}

export function registerPublicConfigRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/config',
    summary: 'The public configuration the web UI reads before sign-in: titles, branding, feature flags.',
    tag: 'config',
    internal: true,
    async handler(call) {
      return publicConfigView(call.ctx.config, call.request.headers.host);
    },
  });
}
