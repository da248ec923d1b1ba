import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoHorizontalOverflow, NARROW, uiTestsRunnable, type UiSuite, useUiSuite } from './harness.js';

/**
 * Flow 8: teams and membership of an organization (team, members and collaborators views, the
 * create-team wizard, managing members, repository permissions, roles, deletion) and answering a
 * team invitation on /confirminvite.
 */

const ORG = 'acme';
const TEAM = 'builders';

async function openTeamsTab(page: Page, org: string): Promise<void> {
  await page.goto(`/organization/${org}?tab=teams`);
  await page.getByTestId('teams-table').waitFor();
}

/** Picks `name` in the EntityPicker labelled `label`. */
async function pickEntity(page: Page, label: string, name: string): Promise<void> {
  await page.getByRole('textbox', { name: label }).fill(name);
  await page.getByRole('menuitem', { name: new RegExp(`^${name.replace('+', '\\+')}\\b`) }).click();
}

async function openTeamActions(page: Page, team: string): Promise<void> {
  await page.getByTestId(`team-row-${team}`).getByRole('button', { name: 'Kebab toggle' }).click();
}

async function teamMemberNames(ui: UiSuite, org: string, team: string): Promise<string[]> {
  const res = await (await ui.api('admin')).get(`/api/v1/organization/${org}/team/${team}/members?includePending=true`);
  expect(res.status, res.describe()).toBe(200);
  return (res.body.members as { name?: string; email?: string; invited: boolean }[])
    .map((m) => `${m.name ?? m.email}${m.invited ? ' (invited)' : ''}`)
    .sort();
}

async function teamPermissions(ui: UiSuite, org: string, team: string): Promise<Record<string, string>> {
  const res = await (await ui.api('admin')).get(`/api/v1/organization/${org}/team/${team}/permissions`);
  expect(res.status, res.describe()).toBe(200);
  return Object.fromEntries((res.body.permissions as { repository: { name: string }; role: string }[]).map((p) => [p.repository.name, p.role]));
}

async function createOrganization(ui: UiSuite, org: string, repositories: string[]): Promise<void> {
  const admin = await ui.api('admin');
  const created = await admin.post('/api/v1/organization/', { name: org, email: `${org}@example.com` });
  expect(created.status, created.describe()).toBe(201);
  for (const repository of repositories) {
    const repo = await admin.post('/api/v1/repository', { namespace: org, repository, visibility: 'private', description: '' });
    expect(repo.status, repo.describe()).toBe(201);
  }
}

describe.skipIf(!uiTestsRunnable())('web UI: teams and membership', () => {
  describe('teams, members, permissions', () => {
    const ui = useUiSuite();

    beforeAll(async () => {
      await createOrganization(ui, ORG, ['api', 'web']);
      const robot = await (await ui.api('admin')).put(`/api/v1/organization/${ORG}/robots/deployer`, { description: 'CI' });
      expect(robot.status, robot.describe()).toBe(201);
    });

    it('creates a team with the wizard: permission and member', async () => {
      const page = await ui.signedInPage('admin');
      await openTeamsTab(page, ORG);
      await ui.screenshot(page, 'teams-tab');
      await page.getByRole('button', { name: 'Create new team' }).click();
      const wizard = page.getByTestId('create-team-wizard');
      await wizard.locator('#new-team-name').fill('Bad Name');
      expect(await wizard.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
      await wizard.locator('#new-team-name').fill(TEAM);
      await wizard.locator('#new-team-description').fill('Builds the images');
      await wizard.getByRole('button', { name: 'Next' }).click();
      await wizard.getByRole('combobox', { name: 'Permission on web' }).selectOption('write');
      await wizard.getByRole('button', { name: 'Next' }).click();
      await pickEntity(page, 'Search for a user or robot account', 'alice');
      await wizard.getByTestId('chosen-members').getByText('alice').waitFor();
      await wizard.getByRole('button', { name: 'Next' }).click();
      await expect(wizard.getByTestId('team-review').textContent()).resolves.toMatch(/web: write.*alice/);
      await ui.screenshot(page, 'teams-create-wizard');
      await wizard.getByRole('button', { name: 'Finish', exact: true }).click();
      await page.getByTestId(`team-row-${TEAM}`).waitFor();

      const org = await (await ui.api('admin')).get(`/api/v1/organization/${ORG}`);
      expect(org.body.teams[TEAM], org.describe()).toMatchObject({ role: 'member', description: 'Builds the images', member_count: 1 });
      expect(await teamPermissions(ui, ORG, TEAM)).toEqual({ web: 'write' });
      expect(await teamMemberNames(ui, ORG, TEAM)).toEqual(['alice']);
    });

    it('shows the teams, members and collaborators the API returns', async () => {
      const admin = await ui.api('admin');
      const grant = await admin.put(`/api/v1/repository/${ORG}/api/permissions/user/bob`, { role: 'read' });
      expect(grant.status, grant.describe()).toBe(200);
      const page = await ui.signedInPage('admin');
      await openTeamsTab(page, ORG);

      const teams = (await admin.get(`/api/v1/organization/${ORG}`)).body.teams as Record<string, { member_count: number; repo_count: number }>;
      expect(Object.keys(teams).sort()).toEqual(['builders', 'owners']);
      for (const [name, team] of Object.entries(teams)) {
        const row = page.getByTestId(`team-row-${name}`);
        await expect(row.getByTestId('team-member-count').textContent()).resolves.toBe(String(team.member_count));
        await expect(row.getByTestId('team-repo-count').textContent()).resolves.toBe(String(team.repo_count));
      }

      await page.getByRole('button', { name: 'Members View' }).click();
      await page.getByTestId('members-table').waitFor();
      const members = (await admin.get(`/api/v1/organization/${ORG}/members`)).body.members as { name: string; teams: { name: string }[] }[];
      expect(members.map((m) => m.name).sort()).toEqual(['admin', 'alice']);
      for (const member of members) {
        const text = await page.getByTestId(`member-row-${member.name}`).textContent();
        for (const team of member.teams) expect(text).toContain(team.name);
      }
      expect(await page.getByTestId('members-table').locator('tbody tr').count()).toBe(members.length);

      await page.getByRole('button', { name: 'Collaborators View' }).click();
      await page.getByTestId('collaborators-table').waitFor();
      const collaborators = (await admin.get(`/api/v1/organization/${ORG}/collaborators`)).body.collaborators;
      expect(collaborators).toMatchObject([{ name: 'bob', repositories: ['api'] }]);
      await expect(page.getByTestId('collaborator-row-bob').textContent()).resolves.toMatch(/bob.*api/);
    });

    it('lays out the teams tab at narrow width', async () => {
      const page = await ui.signedInPage('admin', NARROW);
      await openTeamsTab(page, ORG);
      await expectNoHorizontalOverflow(page);
      await ui.screenshot(page, 'teams-tab-narrow');
      await page.getByRole('button', { name: 'Members View' }).click();
      await page.getByTestId('members-table').waitFor();
      await expectNoHorizontalOverflow(page);
      await page.goto(`/organization/${ORG}/teams/${TEAM}`);
      await page.getByTestId('team-member-alice').waitFor();
      await expectNoHorizontalOverflow(page);
      await ui.screenshot(page, 'team-members-narrow');
    });

    it('manages team members: add a user and a robot, filter, remove', async () => {
      const page = await ui.signedInPage('admin');
      await openTeamsTab(page, ORG);
      await openTeamActions(page, TEAM);
      await page.getByRole('menuitem', { name: 'Manage team members' }).click();
      await page.waitForURL(new RegExp(`/organization/${ORG}/teams/${TEAM}$`));
      await page.getByTestId('team-member-alice').waitFor();

      for (const name of ['bob', `${ORG}+deployer`]) {
        await page.getByRole('button', { name: 'Add new member' }).click();
        const modal = page.getByTestId('add-member-modal');
        await pickEntity(page, 'Search for a user or robot account', name);
        await modal.getByTestId('chosen-member').waitFor();
        await modal.getByRole('button', { name: 'Add member' }).click();
        await page.getByTestId(`team-member-${name}`).waitFor();
      }
      expect(await teamMemberNames(ui, ORG, TEAM)).toEqual(['acme+deployer', 'alice', 'bob']);

      await page.getByRole('button', { name: 'Robot accounts' }).click();
      await expect.poll(() => page.getByTestId('team-members-table').locator('tbody tr').count()).toBe(1);
      await page.getByTestId(`team-member-${ORG}+deployer`).waitFor();
      await page.getByRole('button', { name: 'All', exact: true }).click();
      await ui.screenshot(page, 'team-members');

      await page.getByTestId('team-member-alice').getByRole('button', { name: 'Kebab toggle' }).click();
      await page.getByRole('menuitem', { name: 'Remove from team' }).click();
      await page.getByTestId('team-member-alice').waitFor({ state: 'detached' });
      expect(await teamMemberNames(ui, ORG, TEAM)).toEqual(['acme+deployer', 'bob']);
    });

    it('sets repository permissions and the role from the team list', async () => {
      const page = await ui.signedInPage('admin');
      await openTeamsTab(page, ORG);
      await openTeamActions(page, TEAM);
      await page.getByRole('menuitem', { name: 'Set repository permissions' }).click();
      const modal = page.getByTestId('team-permissions-modal');
      const web = modal.getByRole('combobox', { name: 'Permission on web' });
      await expect.poll(() => web.inputValue()).toBe('write');
      await modal.getByRole('combobox', { name: 'Permission on api' }).selectOption('admin');
      await web.selectOption('none');
      await modal.getByRole('button', { name: 'Save' }).click();
      await modal.waitFor({ state: 'detached' });
      expect(await teamPermissions(ui, ORG, TEAM)).toEqual({ api: 'admin' });

      await page.getByRole('combobox', { name: `Role of team ${TEAM}` }).selectOption('creator');
      await expect
        .poll(async () => (await (await ui.api('admin')).get(`/api/v1/organization/${ORG}`)).body.teams[TEAM].role)
        .toBe('creator');
    });

    it('deletes a team', async () => {
      const page = await ui.signedInPage('admin');
      await openTeamsTab(page, ORG);
      await openTeamActions(page, TEAM);
      await page.getByRole('menuitem', { name: 'Delete' }).click();
      await page.getByLabel('Type confirm').fill('confirm');
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.getByTestId(`team-row-${TEAM}`).waitFor({ state: 'detached' });
      const org = await (await ui.api('admin')).get(`/api/v1/organization/${ORG}`);
      expect(Object.keys(org.body.teams)).toEqual(['owners']);
    });
  });

  describe('invitations (FEATURE_MAILING)', () => {
    const ui = useUiSuite({ FEATURE_MAILING: true });
    const INVITE_ORG = 'invites';
    const INVITE_TEAM = 'devs';

    beforeAll(async () => {
      await createOrganization(ui, INVITE_ORG, ['app']);
      const team = await (await ui.api('admin')).put(`/api/v1/organization/${INVITE_ORG}/team/${INVITE_TEAM}`, { role: 'member' });
      expect(team.status, team.describe()).toBe(200);
    });

    async function inviteCode(where: { email: string } | { username: string }): Promise<string> {
      const db = ui.registry.ctx.db;
      let query = db.selectFrom('team_invite').select('token');
      if ('email' in where) query = query.where('email', '=', where.email);
      else {
        const user = await db.selectFrom('namespace').select('id').where('name', '=', where.username).executeTakeFirstOrThrow();
        query = query.where('user_id', '=', user.id);
      }
      return (await query.executeTakeFirstOrThrow()).token;
    }

    it('invites bob by e-mail, and bob accepts on /confirminvite', async () => {
      const page = await ui.signedInPage('admin');
      await page.goto(`/organization/${INVITE_ORG}/teams/${INVITE_TEAM}`);
      await page.getByRole('button', { name: 'Add new member' }).click();
      await page.locator('#add-member-email').fill('bob@example.com');
      await page.getByRole('button', { name: 'Send invitation' }).click();
      await page.getByTestId('team-member-bob@example.com').getByText('Invited by e-mail').waitFor();
      expect(await teamMemberNames(ui, INVITE_ORG, INVITE_TEAM)).toEqual(['bob@example.com (invited)']);

      const code = await inviteCode({ email: 'bob@example.com' });
      const bob = await ui.signedInPage('bob');
      await bob.goto(`/confirminvite?code=${encodeURIComponent(code)}`);
      await ui.screenshot(bob, 'confirm-invite');
      await bob.getByRole('button', { name: 'Accept invitation' }).click();
      await expect(bob.getByTestId('invite-accepted').textContent()).resolves.toContain(`You joined team ${INVITE_TEAM} of ${INVITE_ORG}`);
      expect(await teamMemberNames(ui, INVITE_ORG, INVITE_TEAM)).toEqual(['bob']);
      await bob.getByRole('link', { name: `Go to organization ${INVITE_ORG}` }).click();
      await bob.getByTestId('organization-title').waitFor();
    });

    it('invites a user new to the organization, who declines', async () => {
      const page = await ui.signedInPage('admin');
      await page.goto(`/organization/${INVITE_ORG}/teams/${INVITE_TEAM}`);
      await page.getByRole('button', { name: 'Add new member' }).click();
      await pickEntity(page, 'Search for a user or robot account', 'alice');
      await page.getByTestId('add-member-modal').getByRole('button', { name: 'Add member' }).click();
      await page.getByTestId('team-member-alice').getByText('Invited').waitFor();
      expect(await teamMemberNames(ui, INVITE_ORG, INVITE_TEAM)).toEqual(['alice (invited)', 'bob']);

      const code = await inviteCode({ username: 'alice' });
      const wrongUser = await ui.signedInPage('bob');
      await wrongUser.goto(`/confirminvite?code=${encodeURIComponent(code)}`);
      ui.allowConsoleError(/status of 400.*\/api\/v1\/teaminvite\//);
      await wrongUser.getByRole('button', { name: 'Accept invitation' }).click();
      await expect(wrongUser.getByTestId('invite-error').textContent()).resolves.toMatch(/sign in as that user/);

      const alice = await ui.signedInPage('alice');
      await alice.goto(`/confirminvite?code=${encodeURIComponent(code)}`);
      await alice.getByRole('button', { name: 'Decline' }).click();
      await alice.getByTestId('invite-declined').waitFor();
      expect(await teamMemberNames(ui, INVITE_ORG, INVITE_TEAM)).toEqual(['bob']);
    });
  });
});
