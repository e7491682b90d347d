package magento

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// Exec says how php and composer run on the host: as which user, with which
// environment, and with which (secret) Composer credentials.
type Exec struct {
	RunAs    string            // OS user for sudo -n -u; empty = the SSH user
	PHP      string            // php command
	Composer string            // composer command
	Env      map[string]string // composer_env; DefaultComposerEnv fills the gaps
	Auth     string            // COMPOSER_AUTH JSON; secret, travels on stdin only
}

// DefaultComposerEnv is applied unless composer_env overrides a key: Composer's memory
// limit is the usual cause of failed installs, and nothing may ever prompt. COLUMNS and
// LINES are the size Composer assumes where stdin is no terminal (as here): set, they
// spare it asking `stty -a` twice per run.
var DefaultComposerEnv = map[string]string{
	"COMPOSER_MEMORY_LIMIT":   "-1",
	"COMPOSER_NO_INTERACTION": "1",
	"COLUMNS":                 "80",
	"LINES":                   "50",
}

// EnvKeyPattern is what an environment variable name may look like.
var EnvKeyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// UserPattern is what run_as may be: a POSIX user name.
var UserPattern = regexp.MustCompile(`^[a-z_][a-z0-9_.-]*[$]?$`)

// RunAs returns a Runner that runs every command as user through non-interactive
// sudo (it never prompts); stdin passes through. An empty user returns r itself.
func RunAs(r Runner, user string) Runner {
	if user == "" {
		return r
	}
	return asUser{r, user}
}

type asUser struct {
	Runner
	user string
}

// Run forwards a stop to the run_as processes (run_as.sh): a cancelled or timed-out
// apply ends Composer and lets the apply script restore, whichever user they run as.
func (a asUser) Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error) {
	return a.Runner.Run(ctx, label, assign("run_as", a.user, "cmd", cmd, "tree_awk", compact(processTreeAWK))+runAsBody, stdin)
}

// RunShared keeps reads as run_as in the shared shell too: sudo costs a process, not a
// session.
func (a asUser) RunShared(ctx context.Context, label, cmd string) (shell.Result, error) {
	return runRead(ctx, a.Runner, label, a.wrap(cmd))
}

func (a asUser) wrap(cmd string) string {
	mine, theirs, split := strings.Cut(cmd, sshUserPartEnds)
	if !split {
		mine, theirs = "", cmd
	}
	return mine + "sudo -n -u " + shell.Quote(a.user) + " -- sh -c " + shell.Quote(theirs)
}

// stdin is what the scripts read first: the Composer credentials on one line.
func (e Exec) stdin() ([]byte, error) {
	if e.Auth == "" {
		return []byte("\n"), nil
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(e.Auth)); err != nil {
		return nil, fmt.Errorf("composer_auth is not valid JSON") // never echo it
	}
	return append(compact.Bytes(), '\n'), nil
}

// composerFunctionIn defines run_composer ARGS..., which runs composer in dir (a shell
// word: a quoted path or variable) with the environment exported and COMPOSER_AUTH taken
// from $auth (read from stdin), so the secret is in composer's environment only: not in
// any argv.
func (e Exec) composerFunctionIn(dir string) string {
	env := map[string]string{}
	for k, v := range DefaultComposerEnv {
		env[k] = v
	}
	for k, v := range e.Env {
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var exports strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&exports, "%s=%s; export %s; ", k, shell.Quote(env[k]), k)
	}
	// fd 4 is the apply script's report channel: composer does not need it.
	return composerLauncher(e.PHP, e.Composer) +
		`run_composer() { ( exec 4>&- 5>&- 6<&-; if [ -n "$auth" ]; then COMPOSER_AUTH=$auth; export COMPOSER_AUTH; fi; ` +
		exports.String() + `cd ` + dir + ` && composer_exec "$@" ); }` + "\n"
}

// composerLauncher defines composer_exec (composer_exec.sh): Composer under the
// configured PHP when php is set (anything but the default "php") and Composer is a
// PHP program.
func composerLauncher(php, composer string) string {
	if composer == "" {
		composer = "composer"
	}
	if php == "php" {
		php = ""
	}
	return assign("composer_cmd", composer, "composer_php", php) + composerExec
}

func (e Exec) php() string {
	if e.PHP == "" {
		return "php"
	}
	return e.PHP
}
