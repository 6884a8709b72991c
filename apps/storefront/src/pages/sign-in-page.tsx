import { useState } from 'preact/hooks';
import { DEMO_CUSTOMERS } from '@mercato/contracts/demo';
import type { TokenRequest } from '../api/types.js';
import { navigate } from '../routing/router.js';
import { sessionOf } from '../session/session.js';
import { useShop } from '../shop.js';
import { Choices } from '../ui/choices.js';
import { ErrorAlert, messageOf } from '../ui/feedback.js';
import { PageHeading } from '../ui/page-heading.js';

/** Signing in as a demo customer, or going on as a guest. */
export function SignInPage({ next }: { next: string }) {
  const { api, session } = useShop();
  const [customerId, setCustomerId] = useState<string>(DEMO_CUSTOMERS[0].id);
  const [pending, setPending] = useState<TokenRequest['kind'] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);

  const signIn = async (request: TokenRequest) => {
    setPending(request.kind);
    setError(undefined);
    try {
      const token = await api.issueToken(request);
      session.set(sessionOf(token, request.kind));
      navigate(next, { replace: true });
    } catch (failure) {
      setError(failure);
      setPending(undefined);
    }
  };

  return (
    <div class="sign-in">
      <PageHeading title="Sign in" />
      <p class="lead">
        Mercato has no sign-up: choose one of the demo customers, whose order history is kept, or
        shop as a guest.
      </p>
      {error !== undefined && (
        <ErrorAlert title="Signing in did not work.">
          <p>{messageOf(error)}</p>
        </ErrorAlert>
      )}
      <div class="sign-in__options">
        <form
          class="panel"
          onSubmit={(event) => {
            event.preventDefault();
            void signIn({ kind: 'customer', customerId });
          }}
        >
          <Choices
            legend="Demo customer"
            name="customer"
            choices={DEMO_CUSTOMERS.map((customer) => ({
              value: customer.id,
              label: (
                <>
                  {customer.name} <span class="muted">({customer.id})</span>
                </>
              ),
            }))}
            selected={customerId}
            onSelect={setCustomerId}
          />
          <button type="submit" class="button button--primary" disabled={pending !== undefined}>
            {pending === 'customer' ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <div class="panel">
          <h2>New here?</h2>
          <p>A guest's orders are visible in this browser only, until the session ends.</p>
          <button
            type="button"
            class="button button--secondary"
            disabled={pending !== undefined}
            onClick={() => void signIn({ kind: 'guest' })}
          >
            {pending === 'guest' ? 'Starting…' : 'Continue as guest'}
          </button>
        </div>
      </div>
    </div>
  );
}
