import { describe, expect, it } from 'vitest';

import { dataRun, guidanceLink } from '../../../../lib/alerts/vendors/markup/adaptiveCardText.js';
import { defangUrls } from '../../../../lib/alerts/vendors/markup/defang.js';
import { GUIDANCE_HOSTS, guidanceUrl } from '../../../../lib/alerts/vendors/markup/docLinks.js';
import { fleetText } from '../../../../lib/alerts/vendors/markup/fleetText.js';
import { escapeHtml } from '../../../../lib/alerts/vendors/markup/htmlText.js';
import { mrkdwn, slackLink, slackText } from '../../../../lib/alerts/vendors/markup/slackText.js';
import { ruleCatalog } from '../../../../lib/rules/catalog.js';

describe('defangUrls', () => {
  it.each([
    ['https://evil.example/login', 'hxxps[:]//evil[.]example/login'],
    ['http://evil.example', 'hxxp[:]//evil[.]example'],
    ['ftp://files.evil.example/a.txt', 'fxp[:]//files[.]evil[.]example/a.txt'],
    ['ssh://evil.example:22', 'ssh[:]//evil[.]example:22'],
    ['user_https://evil.example/x', 'user_hxxps[:]//evil[.]example/x'],
    ['[x](//evil.example/login)', '[x](//evil[.]example/login)'],
    ['go to www.evil.example/login', 'go to www[.]evil[.]example/login'],
    ['HTTPS://EVIL.EXAMPLE', 'HxxPS[:]//EVIL[.]EXAMPLE'],
    ['/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/pods'],
    ['kube-system/coredns-7d8 1.30.4', 'kube-system/coredns-7d8 1.30.4'],
  ])('%s → %s', (input, expected) => {
    expect(defangUrls(input)).toBe(expected);
  });

  it('is linear on long runs of scheme characters (a quadratic scan is a denial of service on hostile names)', () => {
    const started = performance.now();
    defangUrls(`${'a'.repeat(200_000)}://evil.example`);
    defangUrls('a'.repeat(200_000));
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('fleetText', () => {
  it('removes bidi controls, turns line breaks into spaces, breaks mentions and defangs URLs', () => {
    expect(fleetText('\u202Eabc\u202C\u2066x\u2069')).toBe('abcx');
    expect(fleetText('a\nb\r\nc\u2028d')).toBe('a b c d');
    expect(fleetText('@here @channel rita@contoso.com @ 1')).toBe('@\u2060here @\u2060channel rita@\u2060contoso.com @ 1');
    expect(fleetText('see https://evil.example')).toBe('see hxxps[:]//evil[.]example');
    expect(fleetText('a\uD800b')).toBe('a\uFFFDb');
  });
});

describe('slackText', () => {
  it('escapes the control characters, replaces formatting characters by look-alikes, and measures as sent', () => {
    expect(slackText('<!here> & <@U1>', 100)).toBe('&lt;!here&gt; &amp; &lt;@\u2060U1&gt;');
    expect(slackText('*b* _i_ ~s~ `c`', 100)).toBe('\u2217b\u2217 \u02CDi\u02CD \u223Cs\u223C \u02CBc\u02CB');
    expect(slackText('R&D R&D', 8)).toBe('R&amp;D…');
  });

  it('every mrkdwn object is verbatim; links are ours, escaped', () => {
    expect(mrkdwn('x')).toEqual({ type: 'mrkdwn', text: 'x', verbatim: true });
    expect(slackLink('https://learn.microsoft.com/a?b=1&c=2', 'guidance')).toBe('<https://learn.microsoft.com/a?b=1&amp;c=2|guidance>');
  });
});

describe('adaptive card text', () => {
  it('fleet data goes into TextRuns (never parsed as Markdown), neutralised; our link is a Markdown TextBlock of its own', () => {
    expect(dataRun('[x](https://evil.example)', 100, { size: 'Small' })).toEqual({ type: 'TextRun', text: '[x](hxxps[:]//evil[.]example)', size: 'Small' });
    expect(guidanceLink('guidance', 'https://learn.microsoft.com/a')).toEqual({
      type: 'TextBlock',
      text: '[guidance](https://learn.microsoft.com/a)',
      wrap: true,
      size: 'Small',
    });
  });
});

describe('guidanceUrl', () => {
  it('every rule of the catalog links to an allowed guidance URL, unchanged', () => {
    for (const rule of ruleCatalog()) expect([rule.id, guidanceUrl(rule.docUrl)]).toEqual([rule.id, rule.docUrl]);
    expect(GUIDANCE_HOSTS).toEqual(['learn.microsoft.com']);
  });

  it.each([
    'https://evil.example/login',
    'javascript:alert(1)',
    'http://learn.microsoft.com/azure/aks',
    'https://learn.microsoft.com.evil.example/x',
    'https://user:pw@learn.microsoft.com/x',
    'https://learn.microsoft.com:8443/x',
    'https://learn.microsoft.com/x)[PWN](https://evil.example',
    'https://learn.microsoft.com/x|PWN>',
    'https://learn.microsoft.com/x y',
    'not a url',
  ])('refuses %s', (docUrl) => {
    expect(guidanceUrl(docUrl)).toBeUndefined();
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
