/**
 * Event-driven: a GitHub pull-request webhook starts a review Task (through Argo Events).
 *
 * GitHub posts the `pull_request` event to the EventSource's endpoint; the Sensor keeps the
 * events whose action is opened, synchronize or reopened, and creates a Task `pr-review-xxxxx`
 * with the pull request's head commit checked out in `src/`, the PR's URL in the
 * description, labels `example.com/repo` and `example.com/pr` (made valid label values) and
 * the exact URL and branch in annotations. See docs/event-driven-and-gitops.md.
 *
 *   npx tsx examples/github-pr-review.ts     # writes dist/github-pr-review.k8s.yaml
 */
import { App, Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { AgentConstruct, TaskTrigger } from '../src/index.js';

/**
 * The Task description: a Go template (with sprig functions) over the webhook event, whose
 * `.Input.body` is GitHub's payload. JSON numbers are float64 to Go, which prints 1000000 as
 * 1e+06: `int64` keeps the pull request number in digits.
 */
export const REVIEW_DESCRIPTION = [
  'Review pull request #{{ int64 .Input.body.number }} of {{ .Input.body.repository.full_name }}:',
  '{{ .Input.body.pull_request.html_url }}',
  '',
  'Its head commit {{ .Input.body.pull_request.head.sha }} (branch {{ .Input.body.pull_request.head.ref }})',
  'is checked out in src/; it targets {{ .Input.body.pull_request.base.ref }}.',
  'Read the diff against the base branch, then post one review on the pull request with',
  '`gh pr review` (GITHUB_TOKEN is set): correctness first, then tests, then style.',
  'Write the review you posted to .outputs/review.md.',
].join('\n');

export class GithubPrReview extends Chart {
  public readonly trigger: TaskTrigger;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'pr-review', ...props });

    const agent = new AgentConstruct(this, 'reviewer', {
      metadata: { name: 'pr-reviewer' },
      serviceAccountName: 'kubeopencode-agent',
      // Reviews are cheap to queue and expensive to run all at once.
      maxConcurrentTasks: 5,
      credentials: [
        { name: 'github-token', secretRef: { name: 'github-creds', key: 'token' }, env: 'GITHUB_TOKEN' },
        { name: 'opencode-api-key', secretRef: { name: 'ai-credentials', key: 'opencode-key' }, env: 'OPENCODE_API_KEY' },
      ],
      contexts: [{
        type: 'Text',
        name: 'review-guidelines',
        text: '# Review guidelines\n- Point at lines, suggest fixes\n- Never push to the branch\n',
      }],
    });

    this.trigger = new TaskTrigger(this, 'github-pr', {
      name: 'github-pr-review',
      webhook: { port: 12000, endpoint: '/github/pull-request', method: 'POST' },
      filters: [
        // GitHub sends one endpoint every event it is subscribed to: keep pull requests...
        { path: 'header.X-Github-Event.0', values: ['^pull_request$'] },
        // ...that have new code to review.
        { path: 'body.action', values: ['^(opened|synchronize|reopened)$'] },
      ],
      agent,
      task: {
        generateName: 'pr-review-',
        contexts: [{
          type: 'Git',
          name: 'pull-request',
          description: 'The pull request\'s head commit',
          // Placeholders: the Sensor fills repository and ref from the event.
          git: { repository: 'https://github.com/example-org/example-repo.git', ref: 'main', depth: 0 },
          mountPath: 'src',
        }],
        outputs: { parameters: [{ name: 'review', path: '.outputs/review.md', default: 'No review written' }] },
        timeoutSeconds: 1800,
        labels: { 'app.kubernetes.io/part-of': 'pr-review' },
      },
      parameters: [
        { to: 'description', template: REVIEW_DESCRIPTION },
        // The head repository: a fork's pull request is cloned from the fork.
        { to: 'contexts[0].git.repository', from: 'body.pull_request.head.repo.clone_url' },
        // The head commit, not the branch: the review is of what was pushed, even if the branch moves on.
        { to: 'contexts[0].git.ref', from: 'body.pull_request.head.sha' },
      ],
      labelsFromEvent: {
        'example.com/repo': 'body.repository.full_name', // "org/repo" -> "org.repo"
        'example.com/pr': 'body.number',
      },
      annotationsFromEvent: {
        'example.com/pr-url': 'body.pull_request.html_url',
        'example.com/head-ref': 'body.pull_request.head.ref',
      },
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  new GithubPrReview(app, 'github-pr-review');
  app.synth();
}
