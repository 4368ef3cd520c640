'use client';
/**
 * People who may sign in: local accounts (created here, with a password) and single-sign-on accounts (created
 * at their first sign-in). Roles: viewer (read), editor (change the mesh), admin (also tokens and users).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { AuthLimits, passwordSchema, ROLES, roleSchema, usernameSchema, type Role } from '@weft/schema';
import { useState, type FormEvent } from 'react';
import { z } from 'zod';
import {
  CallFailedAlert,
  ConfirmButton,
  errorLine,
  Field,
  fieldErrorsOf,
  serverFieldErrors,
  SubmitButton,
  TextField,
  useDraft,
} from '@/components/form.tsx';
import { useSession } from '@/components/Session.tsx';
import { Empty, ListSection, PageHeader, RoleBadge } from '@/components/ui.tsx';
import { formatAgo, formatDateTime } from '@/lib/format.ts';
import { useTRPC, type RouterOutputs } from '@/lib/trpc.ts';

type UserRow = RouterOutputs['users']['list'][number];

const ROLE_HELP: Record<Role, string> = {
  viewer: 'sees the mesh',
  editor: 'also changes it',
  admin: 'also manages tokens and users',
};

/** The same rules the API applies to users.create. */
const newUserSchema = z.object({
  username: usernameSchema,
  displayName: z
    .string()
    .max(AuthLimits.maxDisplayNameLength, `must be at most ${AuthLimits.maxDisplayNameLength} characters`)
    .optional(),
  role: roleSchema,
  password: passwordSchema,
});

interface Draft {
  username: string;
  displayName: string;
  role: Role;
  password: string;
}

const EMPTY_DRAFT: Draft = { username: '', displayName: '', role: 'viewer', password: '' };

export function UsersView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.users.list.queryOptions(undefined, { refetchInterval: 15_000 }));
  const { session } = useSession();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });

  return (
    <div className="page admin-page" data-test="users-page">
      <PageHeader title="Users" subtitle="Who may sign in to the console and the API, and with which role." />
      <CreateUserForm onCreated={() => void invalidate()} />
      <ListSection
        title="All users"
        what="users"
        query={list}
        empty={<Empty testId="users-empty">No users.</Empty>}
      >
        {(users) => (
          <UsersTable users={users} selfId={session?.user.id ?? null} onChanged={() => void invalidate()} />
        )}
      </ListSection>
    </div>
  );
}

function CreateUserForm({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const [createdName, setCreatedName] = useState<string | null>(null);
  const { draft, setDraft, setErrors, field } = useDraft(EMPTY_DRAFT, () => setCreatedName(null));
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: (user) => {
        setDraft(EMPTY_DRAFT);
        setCreatedName(user.username);
        onCreated();
      },
      onError: (error) => setErrors(serverFieldErrors(error)),
    }),
  );
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const displayName = draft.displayName.trim();
    const parsed = newUserSchema.safeParse({
      username: draft.username.trim(),
      ...(displayName ? { displayName } : {}),
      role: draft.role,
      password: draft.password,
    });
    if (!parsed.success) {
      setErrors(fieldErrorsOf(parsed.error));
      return;
    }
    setErrors({});
    create.mutate(parsed.data);
  };
  const role = field('role');
  return (
    <form className="panel form-panel" onSubmit={onSubmit} noValidate data-test="user-form">
      <div className="form-panel-header">
        <h2>New local user</h2>
      </div>
      <p className="form-help muted">
        Single-sign-on users appear here after their first sign-in. Pass the password on to the user in person
        or through your password manager.
      </p>
      <div className="form-row">
        <TextField
          label="Username"
          {...field('username')}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={AuthLimits.maxUsernameLength}
          placeholder="jane"
          testId="user-username"
        />
        <TextField
          label="Display name (optional)"
          {...field('displayName')}
          className="grow"
          autoComplete="off"
          maxLength={AuthLimits.maxDisplayNameLength}
          placeholder="Jane Doe"
          testId="user-display-name"
        />
        <Field label="Role" error={role.error} hint={ROLE_HELP[draft.role]} className="narrow-field">
          <select
            className="input"
            value={role.value}
            onChange={(e) => role.onChange(e.target.value)}
            data-test="user-role-select"
          >
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
        </Field>
        <TextField
          label="Password"
          {...field('password')}
          hint={`at least ${AuthLimits.minPasswordLength} characters`}
          type="password"
          autoComplete="new-password"
          maxLength={AuthLimits.maxPasswordLength}
          testId="user-password"
        />
        <SubmitButton
          label="Create user"
          pendingLabel="Creating…"
          pending={create.isPending}
          testId="user-create"
        />
      </div>
      <CallFailedAlert error={create.error} what="create the user" />
      {createdName ? (
        <div className="form-success" role="status" data-test="user-created">
          User <strong>{createdName}</strong> created.
        </div>
      ) : null}
    </form>
  );
}

function UsersTable({
  users,
  selfId,
  onChanged,
}: {
  users: UserRow[];
  selfId: string | null;
  onChanged: () => void;
}) {
  const trpc = useTRPC();
  const now = Date.now();
  const sorted = [...users].sort((a, b) => a.username.localeCompare(b.username));
  return (
    <table className="table" data-test="users-table">
      <thead>
        <tr>
          <th>Username</th>
          <th>Display name</th>
          <th>Role</th>
          <th>Sign-in</th>
          <th>Created</th>
          <th>Last sign-in</th>
          <th className="actions-col" aria-label="Actions" />
        </tr>
      </thead>
      <tbody>
        {sorted.map((u) => {
          const self = u.id === selfId;
          return (
            <tr
              key={u.id}
              className={u.disabled ? 'row-revoked' : undefined}
              data-test="user-row"
              data-username={u.username}
              data-role={u.role}
            >
              <td className="strong">
                {u.username}
                {self ? <span className="tag you-tag">you</span> : null}
                {u.disabled ? <span className="tag">disabled</span> : null}
              </td>
              <td>{u.displayName || <span className="muted">–</span>}</td>
              <td>
                <RoleCell user={u} self={self} onChanged={onChanged} />
              </td>
              <td className="muted">{u.provider === 'oidc' ? 'single sign-on' : 'password'}</td>
              <td className="nowrap">{formatDateTime(u.createdAtMs)}</td>
              <td className="nowrap" title={u.lastLoginAtMs ? formatDateTime(u.lastLoginAtMs) : undefined}>
                {u.lastLoginAtMs ? formatAgo(u.lastLoginAtMs, now) : <span className="muted">never</span>}
              </td>
              <td className="actions-col">
                {self ? null : (
                  <ConfirmButton
                    label="Remove"
                    pendingLabel="Removing…"
                    question={`Remove ${u.username}?`}
                    mutation={trpc.users.remove.mutationOptions({ onSuccess: onChanged })}
                    variables={{ id: u.id }}
                    testId="user-remove"
                  />
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function RoleCell({ user, self, onChanged }: { user: UserRow; self: boolean; onChanged: () => void }) {
  const trpc = useTRPC();
  const setRole = useMutation(trpc.users.setRole.mutationOptions({ onSuccess: onChanged }));
  if (self) {
    return (
      <span title="Another admin can change your role">
        <RoleBadge role={user.role} />
      </span>
    );
  }
  return (
    <span className="role-cell">
      <select
        className="input narrow-select"
        value={setRole.isPending ? setRole.variables.role : user.role}
        disabled={setRole.isPending}
        aria-label={`Role of ${user.username}`}
        onChange={(e) => setRole.mutate({ id: user.id, role: e.target.value as Role })}
        data-test="user-role-change"
      >
        {ROLES.map((role) => (
          <option key={role} value={role}>
            {role}
          </option>
        ))}
      </select>
      {setRole.isError ? (
        <span className="text-failing small" role="alert">
          {errorLine(setRole.error)}
        </span>
      ) : null}
    </span>
  );
}
