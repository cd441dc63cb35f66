// The VidSync dashboard: a static page that signs a user in (Supabase Auth,
// or a demo user of the local stack) and reads the `nebula` function through
// the SDK's browser-safe entry. Views by URL hash:
//   #/                            your projects
//   #/projects/<projectId>        a project and its devices
//   #/projects/<projectId>/<tab>  its network, people, audit log or settings
import type { Session } from './auth.ts';
import { HostedAuth, demoSession, rememberedDemoUser } from './auth.ts';
import { loadConfig } from './config.ts';
import type { DashboardConfig } from './config.ts';
import { h, mount, setText } from './dom.ts';
import { errorBox } from './errors.ts';
import { isTabKey, projectView } from './views/project.ts';
import { projectsView } from './views/projects.ts';
import { signInView } from './views/sign-in.ts';

const main = document.getElementById('main')!;
const who = document.getElementById('who')!;
const signOutButton = document.getElementById('sign-out') as HTMLButtonElement;
let leaveView: (() => void) | undefined;
let session: Session | undefined;

function show(config: DashboardConfig): void {
  leaveView?.();
  leaveView = undefined;
  if (!session) {
    setText(who, '');
    signOutButton.hidden = true;
    document.title = 'Sign in · VidSync';
    signInView(main, config, (s) => {
      session = s;
      show(config);
    });
    return;
  }
  setText(who, session.label);
  signOutButton.hidden = false;
  // Only `#/…` is a route: `#main` is the skip link's target.
  const route = location.hash.startsWith('#/') ? location.hash.slice(1) : '/';
  const project = /^\/projects\/([^/]+)(?:\/([a-z]+))?$/.exec(route);
  const tab = project?.[2] ?? 'devices';
  if (project && isTabKey(tab)) {
    leaveView = projectView(main, session.client, session.userId, decodeURIComponent(project[1]!), tab);
  } else {
    document.title = 'Projects · VidSync';
    leaveView = projectsView(main, session.client);
  }
  // A new view: move focus to its heading, so keyboard and screen reader users start there.
  main.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
}

async function start(): Promise<void> {
  let config: DashboardConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    mount(main, h('h1', {}, 'VidSync dashboard'), errorBox(error, 'Loading the configuration'));
    return;
  }
  const demoUser = rememberedDemoUser(config);
  session = demoUser ? demoSession(config, demoUser) : await new HostedAuth(config).current().catch(() => undefined);
  signOutButton.addEventListener('click', () => {
    void session?.signOut().finally(() => {
      session = undefined;
      show(config);
    });
  });
  window.addEventListener('hashchange', () => {
    if (location.hash === '' || location.hash.startsWith('#/')) show(config);
  });
  show(config);
}

// A bug of ours must not leave a blank page either: whatever escapes a view is shown where the view is.
const showEscaped = (error: unknown) => main.prepend(errorBox(error, 'The page'));
window.addEventListener('error', (event) => showEscaped(event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => showEscaped(event.reason));

void start();
