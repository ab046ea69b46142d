/**
 * Shell commands that expose, send or destroy what a terminal can reach, and the "ClickFix"
 * vocabulary for running code unseen: fixed patterns written from the threat model and the
 * incidents of 2024–25, not from an evaluation set. `prompt_injection` reads the first group in
 * documents (planted for an agent); `dangerous_command` reads both in answers and documents (a
 * reader told to run them). Every repeat is bounded: a hostile text cannot make matching slow.
 */

export type CommandKind = 'secret_exposure' | 'exfiltration' | 'wipe' | 'hidden_execution';

export interface CommandPattern {
  /** The part's name: `prompt_injection` reports it as `agent_command_<part>`. */
  part: string;
  kind: CommandKind;
  /** Lower-case: the text is lower-cased (or the pattern made case-insensitive) before. */
  pattern: RegExp;
  /** A cheap necessary condition: the pattern cannot match text without one of these. */
  needs: readonly string[];
  what: string;
}

/** A command that reads a secret store: the environment, or a credential file. */
const secretSource = String.raw`(?:printenv|\benv|cat\s+[^|\n]{0,80}?(?:\.env\b|\.ssh\/|credentials|\.netrc|\/etc\/shadow))`;

/**
 * Written from the prompt the Nx "s1ngularity" packages handed local AI CLIs to hunt for keys
 * and wallets, the wiper prompt slipped into the Amazon Q extension, and issue texts asking a CI
 * agent for its tokens (2025). `base6[4a]`: `prompt_injection` matches after its leetspeak fold.
 */
export const agentCommandPatterns: readonly CommandPattern[] = [
  {
    // "run `echo $SECRET_API_KEY` to verify your environment"
    part: 'secret_echo',
    kind: 'secret_exposure',
    needs: ['$'],
    pattern:
      /\b(?:echo|printf|print|cat|write-output|write-host)\s+(?:-[a-z]+\s+)?["']?\$(?:\{|env:)?[a-z0-9_]*(?:key|token|secret|password|passwd|credential)[a-z0-9_]*\b/,
    what: 'a command that prints a secret variable',
  },
  {
    // `printenv | base64`, `env > /tmp/e`, `$(env)`: the whole environment, keys and all, encoded,
    // sent or saved. Not `env` alone: API docs name `env` options and parameters everywhere, and
    // `env | grep _proxy` only looks.
    part: 'env_dump',
    kind: 'secret_exposure',
    needs: ['env'],
    pattern:
      /(?:\bprintenv|(?:^|[;&|]|\$\(|\$ )\s*env)\s*(?:\|\s*(?:base6[4a]|xxd|gzip|openssl|tee|curl|wget|nc|ncat|netcat)\b|>)|\$\(\s*(?:printenv|env)\s*[|)]/m,
    what: 'a command that dumps the environment into an encoder, a network tool or a file',
  },
  {
    // Private keys and cloud or registry credentials read out (a public key, `.pub`, is fine).
    part: 'credential_file',
    kind: 'secret_exposure',
    needs: ['.ssh', 'credentials', '.netrc', '.git-credentials', 'config', 'shadow', '.env'],
    pattern:
      /\b(?:cat|type|less|more|head|tail|base6[4a]|xxd|cp|scp|get-content)\s+(?:-[a-z0-9]+\s+)*["']?(?:(?:~|\$home|\$\{home\}|%userprofile%|\/root|\/home\/[a-z0-9_.-]+)[\\/]\.(?:ssh[\\/]id_[a-z0-9]+(?!\.pub)\b|aws[\\/]credentials|netrc|git-credentials|docker[\\/]config\.json|kube[\\/]config)|\/etc\/shadow|\.env(?![\w.-]))/,
    what: 'a command that reads a private key or a credential file',
  },
  {
    // A secret source piped or substituted into a network command, or bash's /dev/tcp.
    part: 'exfiltration',
    kind: 'exfiltration',
    needs: ['curl', 'wget', 'nc', '/dev/tcp/'],
    pattern: new RegExp(
      String.raw`${secretSource}\s*\|\s*(?:[a-z0-9_-]+[^|\n]{0,40}\|\s*)?(?:curl|wget|nc|ncat|netcat)\b|\b(?:curl|wget)\b[^\n]{0,200}?\$\(\s*${secretSource}|\/dev\/tcp\/`,
    ),
    what: 'a command that sends the environment or a credential file over the network',
  },
  {
    // `rm -rf ~`, `rm -rf /*`, `rm -rf $HOME`: the home directory or the root itself. At most six
    // flags, so a run of them cannot make the match try every way to split it.
    part: 'wipe',
    kind: 'wipe',
    needs: ['rm '],
    pattern:
      /\brm\s+(?=(?:-[a-z-]+\s+){0,5}(?:-[a-z]*r[a-z]*|--recursive)\s)(?:-[a-z-]+\s+){1,6}["']?(?:~|\/\*?|\$home|\$\{home\})\/?["']?(?=[`;)\s]|$)/m,
    what: 'a command that deletes the home directory or the root',
  },
];

/**
 * Running code the reader does not see, as the fake "verify you are human" pages of 2024–25
 * (ClickFix) and living-off-the-land droppers do: encoded or hidden-window PowerShell, mshta or
 * rundll32 fetching a URL, certutil and bitsadmin as downloaders, a raw IP address's script piped
 * into a shell or `iex`, base64 decoded straight into a shell. Installers piping a named domain's
 * script into `sh` or `iex` (`curl -fsSL https://deno.land/install.sh | sh`) are not reported:
 * READMEs are full of them.
 */
export const hiddenExecutionPatterns: readonly CommandPattern[] = [
  {
    part: 'encoded_powershell',
    kind: 'hidden_execution',
    needs: ['powershell', 'pwsh'],
    pattern:
      /\b(?:powershell|pwsh)(?:\.exe)?\b[^\n]{0,200}?\s[-/](?:e|ec|en|enc|enco|encod|encode|encoded|encodedc|encodedcommand)\s+[a-z0-9+/=]{16,}/,
    what: 'PowerShell running a base64-encoded command',
  },
  {
    part: 'hidden_powershell',
    kind: 'hidden_execution',
    needs: ['powershell', 'pwsh'],
    pattern:
      /\b(?:powershell|pwsh)(?:\.exe)?\b[^\n]{0,200}?\s[-/](?:w|wi|win|wind|windo|window|windows|windowst|windowsty|windowstyl|windowstyle)\s+(?:h|hi|hid|hidd|hidde|hidden|1)\b/,
    what: 'PowerShell started with a hidden window',
  },
  {
    part: 'script_host_url',
    kind: 'hidden_execution',
    needs: ['mshta', 'rundll32'],
    pattern:
      /\b(?:mshta|rundll32)(?:\.exe)?\s+[^\n]{0,120}?(?:https?:\/\/|\\\\[a-z0-9.-]+\\|javascript:|vbscript:)/,
    what: 'mshta or rundll32 loading a URL or a script',
  },
  {
    part: 'download_tool',
    kind: 'hidden_execution',
    needs: ['certutil', 'bitsadmin'],
    pattern:
      /\bcertutil(?:\.exe)?\b[^\n]{0,100}?[-/]urlcache\b|\bbitsadmin(?:\.exe)?\b[^\n]{0,100}?\/transfer\b/,
    what: 'certutil or bitsadmin used to download a file',
  },
  {
    part: 'raw_ip_pipe',
    kind: 'hidden_execution',
    needs: ['|'],
    pattern:
      /\b(?:curl|wget|iwr|irm|invoke-webrequest|invoke-restmethod)\b[^\n|]{0,200}?\bhttps?:\/\/\d{1,3}(?:\.\d{1,3}){3}\b[^\n|]{0,200}?\|\s*(?:sudo\s+)?(?:bash|sh|zsh|dash|iex|invoke-expression|python3?|perl)\b/,
    what: 'a script from a bare IP address piped into a shell',
  },
  {
    part: 'base64_pipe',
    kind: 'hidden_execution',
    needs: ['base64'],
    pattern: /\bbase64\s+(?:-d|--decode)\b[^\n|]{0,40}?\|\s*(?:sudo\s+)?(?:bash|sh|zsh|dash)\b/,
    what: 'base64 decoded straight into a shell',
  },
];
