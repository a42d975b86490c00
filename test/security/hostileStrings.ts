/**
 * Hostile strings for the text-injection tests (alert vendors and the report): each names the
 * trick it tries and marks what it plants (the host `evil.example`, the word `PWN` inside
 * formatting, broadcast mentions), so an oracle can tell planted markup from our own.
 */

/** What the hostile strings plant: each names the trick it tries. */
export const HOSTILE: ReadonlyArray<[string, string]> = [
  ['markdown link', '[Re-authenticate your cluster](https://evil.example/login)'],
  ['markdown link, no scheme', '[Re-authenticate](//evil.example/login)'],
  ['slack link', '<https://evil.example/login|Re-authenticate your cluster>'],
  ['bare https URL', 'see https://evil.example/login now'],
  ['bare http URL in a request URI', '/api/v1/namespaces/default/pods?next=http://evil.example/x'],
  ['www host', 'go to www.evil.example/login'],
  ['URL glued to a word', 'user_https://evil.example/login'],
  ['zero-width in a URL', 'h\u200Bttps://evil.example/login and https://evil\u200B.example'],
  ['markdown link with zero-width', '[PWN](https://evil.example\u200B/login)'],
  ['bidi override', '\u202Enigol/elpmaxe.live//:sptth\u202C and [PWN](https://evil.example)'],
  ['@here', 'hey @here look'],
  ['@channel', '@channel please'],
  ['@everyone', 'ping @everyone'],
  ['slack broadcast', '<!here> <!channel> <!everyone>'],
  ['slack user mention', '<@U0ADMIN> <@W0ADMIN|admin>'],
  ['slack channel link', '<#C0GENERAL> <!subteam^S0OPS>'],
  ['teams mention', '<at>admin</at>'],
  ['slack bold', 'a *PWN* b'],
  ['slack italic', 'a _PWN_ b'],
  ['slack strike', 'a ~PWN~ b'],
  ['code', 'a `PWN` b ```PWN```'],
  ['markdown bold', 'a **PWN** b __PWN__'],
  ['quote on a new line', 'x\n> PWN quoted'],
  ['list on a new line', 'x\n- PWN\n+ PWN\n1. PWN'],
  ['heading on a new line', 'x\n# PWN\r\n## PWN'],
  ['html bold', '<b>PWN</b>'],
  ['html link', '<a href="https://evil.example/login">PWN</a>'],
  ['html image', '<img src=x onerror=alert(1)>'],
  ['script', '</script><script>alert(1)</script>'],
  ['javascript URL', 'javascript:alert(1)'],
  ['entity text', '&lt;!here&gt; &amp;lt;https://evil.example&gt;'],
  ['json breaker', '"}],"text":"<!here>","x":[{"'],
  ['long, link at the end', `${'A'.repeat(5_000)} [PWN](https://evil.example/login)`],
  ['long, link at the cut', `${'B'.repeat(95)}[PWN](https://evil.example/login)`],
];

/** A docUrl that is not one of ours (a finding row can carry anything). */
export const HOSTILE_DOC_URLS = [
  'https://evil.example/login',
  'javascript:alert(1)',
  'https://learn.microsoft.com/x)[PWN](https://evil.example/login',
  'https://learn.microsoft.com/x|PWN> <!here',
  'https://learn.microsoft.com.evil.example/login',
  'https://user:pw@learn.microsoft.com/x',
];
