import { ActionGroup, Alert, Button, Form, FormGroup, FormHelperText, HelperText, HelperTextItem, TextInput } from '@patternfly/react-core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, Navigate, useNavigate } from 'react-router';
import { ApiError, api } from '../../api/client';
import { loadCurrentUser, resetSessionData, usePublicConfig } from '../../api/session';
import { AuthFrame } from './AuthFrame';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,254}$/;

export function CreateAccountPage() {
  const config = usePublicConfig();
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  if (config.data && (config.data.features['USER_CREATION'] === false || config.data.config.AUTHENTICATION_TYPE === 'LDAP')) {
    return <Navigate to="/signin" replace />;
  }
  const usernameProblem = username && !USERNAME.test(username) ? 'Use 2 to 255 lowercase letters, digits, ".", "_" or "-".' : undefined;
  const repeatProblem = repeat && repeat !== password ? 'The passwords differ.' : undefined;
  const passwordProblem = password && password.length < 8 ? 'Use at least 8 characters.' : undefined;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api('/api/v1/user/', { method: 'POST', body: { username, password, email }, beforeSession: true });
      resetSessionData(queryClient);
      await loadCurrentUser(queryClient);
      navigate('/', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Could not reach the registry');
    } finally {
      setBusy(false);
    }
  }

  const invalid = !username || !password || !email || Boolean(usernameProblem || repeatProblem || passwordProblem) || repeat !== password;
  return (
    <AuthFrame heading="Create account">
      {error && <Alert variant="danger" isInline title={error} data-testid="create-account-error" />}
      <Form onSubmit={submit}>
        <FormGroup label="Username" isRequired fieldId="new-username">
          <TextInput id="new-username" value={username} onChange={(_e, v) => setUsername(v)} validated={usernameProblem ? 'error' : 'default'} />
          {usernameProblem && (
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant="error">{usernameProblem}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          )}
        </FormGroup>
        <FormGroup label="E-mail address" isRequired fieldId="new-email">
          <TextInput id="new-email" type="email" value={email} onChange={(_e, v) => setEmail(v)} />
        </FormGroup>
        <FormGroup label="Password" isRequired fieldId="new-password">
          <TextInput id="new-password" type="password" autoComplete="new-password" value={password} onChange={(_e, v) => setPassword(v)} />
          {passwordProblem && (
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant="error">{passwordProblem}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          )}
        </FormGroup>
        <FormGroup label="Repeat password" isRequired fieldId="new-password-repeat">
          <TextInput id="new-password-repeat" type="password" autoComplete="new-password" value={repeat} onChange={(_e, v) => setRepeat(v)} />
          {repeatProblem && (
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant="error">{repeatProblem}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          )}
        </FormGroup>
        <ActionGroup>
          <Button type="submit" isBlock isLoading={busy} isDisabled={busy || invalid}>
            Create account
          </Button>
        </ActionGroup>
      </Form>
      <p style={{ marginTop: '1rem' }}>
        Already have an account? <Link to="/signin">Sign in</Link>
      </p>
    </AuthFrame>
  );
}
