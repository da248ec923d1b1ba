import { Alert, Button, Card, CardBody, CardTitle, Content, Flex, PageSection } from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { CURRENT_USER_KEY, useCurrentUser } from '../../api/session';
import { teamPagePath } from './TeamsView';

type Answer = { accepted: true; org: string; team: string } | { accepted: false };

function invitePath(code: string): string {
  return `/api/v1/teaminvite/${encodeURIComponent(code)}`;
}

/** /confirminvite?code=…: the signed-in user accepts or declines an invitation to join a team. */
export function ConfirmInvitePage() {
  const code = useSearchParams()[0].get('code') ?? '';
  const me = useCurrentUser().data;
  const queryClient = useQueryClient();
  const answer = useMutation({
    mutationFn: async (accept: boolean): Promise<Answer> => {
      if (!accept) {
        await api(invitePath(code), { method: 'DELETE' });
        return { accepted: false };
      }
      const joined = await api<{ org: string; team: string }>(invitePath(code), { method: 'PUT' });
      return { accepted: true, ...joined };
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: CURRENT_USER_KEY }),
  });

  return (
    <PageSection>
      <Card isCompact style={{ maxWidth: '40rem' }} data-testid="confirm-invite">
        <CardTitle>Team invitation</CardTitle>
        <CardBody>
          {!code ? (
            <Alert variant="warning" isInline title="This link has no invitation code." />
          ) : answer.data ? (
            <InviteResult answer={answer.data} />
          ) : (
            <>
              <Content component="p">
                You have been invited to join a team{me ? ` as ${me.username}` : ''}. Accept to become a member, or decline to
                discard the invitation.
              </Content>
              {answer.isError && (
                <Alert variant="danger" isInline title="The invitation could not be answered" data-testid="invite-error">
                  {answer.error.message}
                </Alert>
              )}
              <Flex columnGap={{ default: 'columnGapMd' }} rowGap={{ default: 'rowGapSm' }}>
                <Button variant="primary" onClick={() => answer.mutate(true)} isLoading={answer.isPending && answer.variables} isDisabled={answer.isPending}>
                  Accept invitation
                </Button>
                <Button variant="secondary" onClick={() => answer.mutate(false)} isLoading={answer.isPending && !answer.variables} isDisabled={answer.isPending}>
                  Decline
                </Button>
              </Flex>
            </>
          )}
        </CardBody>
      </Card>
    </PageSection>
  );
}

function InviteResult({ answer }: { answer: Answer }) {
  if (!answer.accepted) {
    return <Alert variant="info" isInline title="You declined the invitation." data-testid="invite-declined" />;
  }
  return (
    <Alert variant="success" isInline title={`You joined team ${answer.team} of ${answer.org}.`} data-testid="invite-accepted">
      <Content component="p">
        <Link to={`/organization/${encodeURIComponent(answer.org)}`}>Go to organization {answer.org}</Link>
        {' · '}
        <Link to={teamPagePath(answer.org, answer.team)}>View team {answer.team}</Link>
      </Content>
    </Alert>
  );
}
