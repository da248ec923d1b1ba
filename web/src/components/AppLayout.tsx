import {
  Alert,
  Banner,
  Brand,

  Dropdown,
  DropdownItem,
  DropdownList,
  Masthead,
  MastheadBrand,
  MastheadContent,
  MastheadLogo,
  MastheadMain,
  MastheadToggle,
  MenuToggle,
  Nav,
  NavItem,
  NavList,
  Page,
  PageSidebar,
  PageSidebarBody,
  PageToggleButton,
  Toolbar,
  ToolbarContent,
  ToolbarGroup,
  ToolbarItem,
} from '@patternfly/react-core';
import { BarsIcon } from '@patternfly/react-icons';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { api } from '../api/client';
import { resetSessionData, useCurrentUser, useGlobalMessages, usePublicConfig, useRegistryDocumentTitle } from '../api/session';
import { MarkdownText } from './MarkdownText';

const SEVERITY_VARIANT = { info: 'info', warning: 'warning', error: 'danger' } as const;

/** Banners everyone sees: the superusers' global messages and read-only mode. */
function SiteBanners() {
  const config = usePublicConfig();
  const messages = useGlobalMessages();
  return (
    <>
      {config.data?.registry_state === 'readonly' && (
        <Banner color="yellow" data-testid="readonly-banner">
          This registry is in read-only mode: pushes and changes are refused until an administrator ends it.
        </Banner>
      )}
      {(messages.data ?? []).map((message) => (
        <Alert
          key={message.uuid}
          isInline
          isPlain={false}
          variant={SEVERITY_VARIANT[message.severity] ?? 'info'}
          title={message.media_type === 'text/markdown' ? <MarkdownText text={message.content} /> : message.content}
          data-testid="global-message"
          data-severity={message.severity}
        />
      ))}
    </>
  );
}

function UserMenu() {
  const { data: user } = useCurrentUser();
  const [open, setOpen] = useState(false);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  if (!user) return null;
  async function signOut() {
    try {
      await api('/api/v1/signout', { method: 'POST', quietUnauthorized: true });
    } catch {
      // Signed out either way: the browser forgets the session below.
    } finally {
      resetSessionData(queryClient);
      navigate('/signin');
    }
  }
  return (
    <Dropdown
      isOpen={open}
      onOpenChange={setOpen}
      popperProps={{ position: 'right' }}
      toggle={(ref) => (
        <MenuToggle ref={ref} variant="plainText" onClick={() => setOpen(!open)} isExpanded={open} data-testid="user-menu-toggle">
          {user.username}
        </MenuToggle>
      )}
    >
      <DropdownList>
        <DropdownItem key="settings" onClick={() => navigate(`/user/${encodeURIComponent(user.username)}?tab=settings`)}>
          Account settings
        </DropdownItem>
        <DropdownItem key="signout" onClick={signOut} data-testid="sign-out">
          Sign out
        </DropdownItem>
      </DropdownList>
    </Dropdown>
  );
}

function Header() {
  const config = usePublicConfig().data?.config;
  const title = config?.REGISTRY_TITLE ?? 'Quayside';
  const shortTitle = config?.REGISTRY_TITLE_SHORT ?? title;
  const logo = config?.BRANDING?.logo;
  return (
    <Masthead>
      <MastheadMain>
        <MastheadToggle>
          <PageToggleButton variant="plain" aria-label="Navigation">
            <BarsIcon />
          </PageToggleButton>
        </MastheadToggle>
        <MastheadBrand>
          <MastheadLogo component={(props) => <Link {...props} to="/" />}>
            {logo ? (
              <Brand src={logo} alt={title} heights={{ default: '36px' }} data-testid="brand-logo" />
            ) : (
              <span className="qs-title" data-testid="registry-title">
                <span className="qs-title-long">{title}</span>
                <span className="qs-title-short">{shortTitle}</span>
              </span>
            )}
          </MastheadLogo>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <Toolbar isFullHeight isStatic>
          <ToolbarContent>
            <ToolbarGroup align={{ default: 'alignEnd' }}>
              <ToolbarItem>
                <UserMenu />
              </ToolbarItem>
            </ToolbarGroup>
          </ToolbarContent>
        </Toolbar>
      </MastheadContent>
    </Masthead>
  );
}

function Sidebar() {
  const { data: user } = useCurrentUser();
  const items = [
    { to: '/organization', label: 'Organizations' },
    { to: '/repository', label: 'Repositories' },
  ];
  if (user?.super_user) items.push({ to: '/superuser', label: 'Superuser' });
  return (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label="Main navigation">
          <NavList>
            {items.map((item) => (
              <NavItem key={item.to}>
                <NavLink to={item.to} className={({ isActive }) => (isActive ? 'pf-m-current' : '')}>
                  {item.label}
                </NavLink>
              </NavItem>
            ))}
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );
}

function Footer() {
  const branding = usePublicConfig().data?.config.BRANDING;
  if (!branding?.footer_img) return null;
  const image = <img src={branding.footer_img} alt="footer" className="qs-footer-img" data-testid="footer-img" />;
  return (
    <footer className="qs-footer">
      {branding.footer_url ? (
        <a href={branding.footer_url} data-testid="footer-link">
          {image}
        </a>
      ) : (
        image
      )}
    </footer>
  );
}

/** The signed-in frame: masthead, navigation, banners, the page, the branding footer. */
export function AppLayout() {
  useRegistryDocumentTitle();
  return (
    <Page masthead={<Header />} sidebar={<Sidebar />} isManagedSidebar>
      <SiteBanners />
      <Outlet />
      <Footer />
    </Page>
  );
}
