/** The shapes of Quay's API responses that the UI reads (only the fields it uses). */

export interface Avatar {
  name: string;
  hash: string;
  color: string;
  kind: string;
}

export interface OrganizationSummary {
  name: string;
  avatar?: Avatar;
  is_org_admin?: boolean;
  can_create_repo?: boolean;
  public?: boolean;
}

export interface CurrentUser {
  anonymous: boolean;
  username: string;
  email?: string;
  verified?: boolean;
  avatar?: Avatar;
  organizations?: OrganizationSummary[];
  super_user?: boolean;
  can_create_repo?: boolean;
  tag_expiration_s?: number;
}

export interface PublicConfig {
  config: {
    REGISTRY_TITLE?: string;
    REGISTRY_TITLE_SHORT?: string;
    BRANDING?: { logo?: string; footer_img?: string; footer_url?: string };
    SERVER_HOSTNAME?: string;
    PREFERRED_URL_SCHEME?: string;
    AUTHENTICATION_TYPE?: string;
    TAG_EXPIRATION_OPTIONS?: string[];
    REGISTRY_STATE?: string;
  };
  features: Record<string, boolean>;
  registry_state: 'normal' | 'readonly';
}

export interface GlobalMessage {
  uuid: string;
  content: string;
  severity: 'info' | 'warning' | 'error';
  media_type: string;
}
