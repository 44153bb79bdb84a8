import { type ReactNode, useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { endSession } from '../api/session';
import type { User } from '../api/types';
import { roleLabel } from '../lib/labels';
import { confirmLeave } from '../lib/leave-guard';
import { EMAIL_PREVIEW_PATH } from '../pages/admin/EmailPreviewPage';
import { PARTNERS_PATH } from '../pages/admin/PartnersPage';
import { Link, navigate, useLocation } from '../lib/router';
import { isAdmin, isPractitioner } from '../lib/session-hooks';
import { SECURITY_PATH } from '../pages/account/SecurityPage';
import { PROFILE_PATH } from '../pages/account/ProfilePage';
import { PATIENTS_PATH } from '../pages/PatientsPage';
import { WEBHOOKS_PATH } from '../pages/admin/WebhooksPage';
import { NotificationBell } from './NotificationBell';

function NavLink({ to, children, exact }: { to: string; children: ReactNode; exact?: boolean }) {
  const { pathname } = useLocation();
  const current = exact ? pathname === to : pathname === to || pathname.startsWith(`${to}/`);
  return (
    <Link to={to} className="nav-link" aria-current={current ? 'page' : undefined}>
      {children}
    </Link>
  );
}

export async function signOut(): Promise<void> {
  await api.POST('/api/v1/auth/logout').catch(() => undefined);
  endSession('signed_out');
  navigate('/sign-in');
}

/** The signed-in frame: skip link, header with navigation, bell and account, then the screen. */
export function Layout({ user, children }: { user: User; children: ReactNode }) {
  const { pathname, key } = useLocation();
  const [menu, setMenu] = useState<{ open: boolean; at: string }>({ open: false, at: key });
  // The menu closes on every navigation.
  const menuOpen = menu.open && menu.at === key;
  const setMenuOpen = (open: boolean) => setMenu({ open, at: key });
  const menuButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!menuOpen) return;
    // Escape closes the menu and hands focus back to its button, as the notifications panel does.
    const onKey = (event: KeyboardEvent) => {
      // An Escape for a dialog over the open menu (the leave question) answers the dialog only: the
      // menu stays, so the link that had focus in it can have it back.
      if (event.key !== 'Escape' || document.querySelector('dialog[open]')) return;
      setMenu({ open: false, at: key });
      menuButton.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [menuOpen, key]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand" aria-label="ReferLoop, referrals">
            <span aria-hidden="true" className="brand-mark">
              ↻
            </span>
            ReferLoop
          </Link>
          <div className="account">
            <NotificationBell />
            <button
              ref={menuButton}
              type="button"
              className="button button-secondary button-small menu-button"
              aria-expanded={menuOpen}
              aria-controls="site-menu"
              onClick={() => setMenuOpen(!menuOpen)}
            >
              Menu
            </button>
          </div>
          {/* On a phone the header keeps one line: navigation and account links fold into this menu. */}
          <div id="site-menu" className="site-menu" data-open={menuOpen}>
            <nav aria-label="Main" className="nav">
              <NavLink to="/" exact>
                Referrals
              </NavLink>
              {isPractitioner(user) && <NavLink to="/referrals/new">New referral</NavLink>}
              <NavLink to={PATIENTS_PATH}>Patients</NavLink>
              {isAdmin(user) && <NavLink to="/admin">Admin</NavLink>}
            </nav>
            <div className="account-links">
              <span className="account-name">
                <span>{user.fullName}</span>
                <span className="muted small">
                  {roleLabel(user.role)}
                  {isAdmin(user) && isPractitioner(user) ? ' and admin' : ''}
                </span>
                {user.clinic && <span className="muted small">{user.clinic.name}</span>}
              </span>
              <NavLink to={PROFILE_PATH}>Profile and settings</NavLink>
              <NavLink to={SECURITY_PATH}>Security</NavLink>
              <button
                type="button"
                className="button button-secondary button-small"
                onClick={() => confirmLeave(() => void signOut())}
              >
                Sign out
              </button>
            </div>
          </div>
        </div>
        {isAdmin(user) && pathname.startsWith('/admin') && (
          <nav aria-label="Admin" className="subnav">
            <NavLink to="/admin" exact>
              Dashboard
            </NavLink>
            <NavLink to="/admin/overdue">Overdue</NavLink>
            <NavLink to="/admin/practitioners">Practitioners</NavLink>
            <NavLink to={PARTNERS_PATH}>Clinic partners</NavLink>
            <NavLink to="/admin/unowned">Unowned referrals</NavLink>
            <NavLink to="/admin/notifications">Failed notifications</NavLink>
            <NavLink to={WEBHOOKS_PATH}>Webhooks</NavLink>
            <NavLink to={EMAIL_PREVIEW_PATH}>Email preview</NavLink>
            <NavLink to="/admin/audit">Audit log</NavLink>
          </nav>
        )}
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
