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
  errorLine,
  Field,
  fieldErrorsOf,
  FormAlert,
  serverFieldErrors,
  type FieldErrors,
} from '@/components/form.tsx';
import { useSession } from '@/components/Session.tsx';
import { Empty, ErrorState, Loading, PageHeader, RoleBadge } from '@/components/ui.tsx';
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
      <section className="section">
        <h2>All users</h2>
        <div className="panel">
          {list.isPending ? (
            <Loading what="users" />
          ) : list.isError && !list.data ? (
            <ErrorState error={list.error} what="users" />
          ) : list.data.length === 0 ? (
            <Empty testId="users-empty">No users.</Empty>
          ) : (
            <UsersTable
              users={list.data}
              selfId={session?.user.id ?? null}
              onChanged={() => void invalidate()}
            />
          )}
        </div>
      </section>
    </div>
  );
}

function CreateUserForm({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const [draft, setDraft] = useState<Draft>(EMPTY_DRAFT);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [createdName, setCreatedName] = useState<string | null>(null);
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
  const set = (key: keyof Draft) => (value: string) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
    setCreatedName(null);
  };

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
        <Field label="Username" error={errors.username}>
          <input
            className="input"
            value={draft.username}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={AuthLimits.maxUsernameLength}
            placeholder="jane"
            onChange={(e) => set('username')(e.target.value)}
            data-test="user-username"
          />
        </Field>
        <Field label="Display name (optional)" error={errors.displayName} className="grow">
          <input
            className="input"
            value={draft.displayName}
            autoComplete="off"
            maxLength={AuthLimits.maxDisplayNameLength}
            placeholder="Jane Doe"
            onChange={(e) => set('displayName')(e.target.value)}
            data-test="user-display-name"
          />
        </Field>
        <Field label="Role" error={errors.role} hint={ROLE_HELP[draft.role]} className="narrow-field">
          <select
            className="input"
            value={draft.role}
            onChange={(e) => set('role')(e.target.value)}
            data-test="user-role-select"
          >
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Password"
          error={errors.password}
          hint={`at least ${AuthLimits.minPasswordLength} characters`}
        >
          <input
            className="input"
            type="password"
            value={draft.password}
            autoComplete="new-password"
            maxLength={AuthLimits.maxPasswordLength}
            onChange={(e) => set('password')(e.target.value)}
            data-test="user-password"
          />
        </Field>
        <div className="form-actions">
          <button
            type="submit"
            className="button primary"
            disabled={create.isPending}
            data-test="user-create"
          >
            {create.isPending ? 'Creating…' : 'Create user'}
          </button>
        </div>
      </div>
      {create.isError && !Object.keys(serverFieldErrors(create.error)).length ? (
        <FormAlert>Could not create the user: {errorLine(create.error)}</FormAlert>
      ) : null}
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
              <td className="actions-col">{self ? null : <RemoveButton user={u} onRemoved={onChanged} />}</td>
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

function RemoveButton({ user, onRemoved }: { user: UserRow; onRemoved: () => void }) {
  const trpc = useTRPC();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(trpc.users.remove.mutationOptions({ onSuccess: onRemoved }));
  if (!confirming) {
    return (
      <button
        type="button"
        className="button danger-outline"
        onClick={() => setConfirming(true)}
        data-test="user-remove"
      >
        Remove
      </button>
    );
  }
  return (
    <span className="confirm" data-test="user-remove-confirm">
      <span className="confirm-text">Remove {user.username}?</span>
      <button
        type="button"
        className="button danger"
        disabled={remove.isPending}
        onClick={() => remove.mutate({ id: user.id })}
        data-test="user-remove-yes"
      >
        {remove.isPending ? 'Removing…' : 'Remove'}
      </button>
      <button
        type="button"
        className="button link"
        onClick={() => setConfirming(false)}
        data-test="user-remove-no"
      >
        Cancel
      </button>
      {remove.isError ? <span className="text-failing small">{errorLine(remove.error)}</span> : null}
    </span>
  );
}
