import { ActionGroup, Alert, Button, Form, FormGroup, TextInput } from '@patternfly/react-core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ApiError, api } from '../../api/client';
import { loadCurrentUser, resetSessionData, usePublicConfig } from '../../api/session';
import { AuthFrame } from './AuthFrame';
import { safeRedirect } from './redirect';

export function SignInPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const config = usePublicConfig().data;
  const canCreate = config?.features['USER_CREATION'] !== false && config?.config.AUTHENTICATION_TYPE !== 'LDAP';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api('/api/v1/signin', { method: 'POST', body: { username, password }, beforeSession: true });
      resetSessionData(queryClient);
      await loadCurrentUser(queryClient);
      navigate(safeRedirect(params.get('redirect')), { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Could not reach the registry');
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthFrame heading="Sign in">
      {params.get('redirect') && !error && (
        <Alert variant="info" isInline isPlain title="Please sign in to continue." data-testid="signin-needed" />
      )}
      {error && <Alert variant="danger" isInline title={error} data-testid="signin-error" />}
      <Form onSubmit={submit}>
        <FormGroup label="Username" isRequired fieldId="signin-username">
          <TextInput id="signin-username" autoComplete="username" value={username} onChange={(_e, v) => setUsername(v)} isRequired />
        </FormGroup>
        <FormGroup label="Password" isRequired fieldId="signin-password">
          <TextInput
            id="signin-password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(_e, v) => setPassword(v)}
            isRequired
          />
        </FormGroup>
        <ActionGroup>
          <Button type="submit" isBlock isLoading={busy} isDisabled={busy || !username || !password}>
            Sign in
          </Button>
        </ActionGroup>
      </Form>
      {canCreate && (
        <p style={{ marginTop: '1rem' }}>
          No account? <Link to="/createaccount">Create account</Link>
        </p>
      )}
    </AuthFrame>
  );
}
