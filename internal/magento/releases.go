package magento

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// Package is the Composer name of the Data Migration Tool.
const Package = "magento/data-migration-tool"

// ReleaseSource is what a release listing depends on in one root, as the listing user
// reads it: the root's repositories and the settings that change what they offer or
// how they are reached, and its auth.json. Roots whose sources have one Digest list the
// same releases: one listing serves them all.
type ReleaseSource struct {
	Manifest []byte // a composer.json holding only the root's repository settings
	AuthFile string // the root's auth.json, copied beside it for the listing
	Digest   string // hex; covers the manifest, auth.json's content, Exec (credentials included) and ListAs
	// ListAs is who lists when run_as is unset and the SSH user is root: the owner of the
	// root's composer.json (empty: run_as, or the SSH user), as every Composer run is.
	ListAs string
}

// repositoryConfig are the keys of composer.json's config that change which packages
// the repositories offer or how they are reached.
var repositoryConfig = []string{"bearer", "bitbucket-oauth", "cafile", "capath", "disable-tls", "forgejo-domains", "forgejo-token",
	"github-domains", "github-expose-hostname", "github-oauth", "github-protocols", "gitlab-domains", "gitlab-oauth", "gitlab-protocol",
	"gitlab-token", "http-basic", "secure-http", "use-github-api"}

const sourceSep = "\x01auth.json\x01"

// listingRunner runs a release listing, and the reads it needs, as the user Composer
// runs as for the shop: the one place that chooses it (src.ListAs: see ReleaseSource).
func listingRunner(r Runner, e Exec, src ReleaseSource) Runner {
	if e.RunAs == "" && src.ListAs != "" {
		return RunAs(r, src.ListAs)
	}
	return RunAs(r, e.RunAs)
}

// listingExec is e for a listing outside the root: a COMPOSER file name of
// composer_env names the root's manifest, which the listing copies to composer.json.
func (e Exec) listingExec() Exec {
	if _, ok := e.Env["COMPOSER"]; ok {
		e.Env = maps.Clone(e.Env)
		e.Env["COMPOSER"] = "composer.json"
	}
	return e
}

// sourceFiles is what the host printed of one root's release source (repositories.sh).
type sourceFiles struct {
	who, manifest, auth string
}

// SourceBatcher batches the reads of release sources: the drifted roots of one host
// share commands, as reads do (the day after a release, every root on it drifts).
type SourceBatcher = Batcher[sourceFiles]

// NewSourceBatcher returns a batcher of release-source reads; a batch's roots are the
// manifests (composer.json paths) to read.
func NewSourceBatcher() *SourceBatcher {
	return newBatcher(readSourceFiles)
}

const sourceMark = "\x01source\x01"

// readSourceFiles reads the release sources of manifests in one command: files only.
// A symlinked manifest is read again in a command of its own (see repositories.sh).
func readSourceFiles(ctx context.Context, r Runner, manifests []string) ([]answer[sourceFiles], error) {
	answers, links, err := readSourceFilesOnce(ctx, r, manifests, false)
	if err != nil {
		return nil, err
	}
	for _, i := range links {
		alone, _, err := readSourceFilesOnce(ctx, r, manifests[i:i+1], true)
		if err != nil {
			answers[i].err = err
			continue
		}
		answers[i] = alone[0]
	}
	return answers, nil
}

// readSourceFilesOnce runs repositories.sh once; links are the manifests it left to be
// read alone (symlinks, unless links is set).
func readSourceFilesOnce(ctx context.Context, r Runner, manifests []string, links bool) ([]answer[sourceFiles], []int, error) {
	var b strings.Builder
	allowLinks := "0"
	if links {
		allowLinks = "1"
	}
	b.WriteString(assign("mark", sourceMark, "sep", sourceSep, "count", strconv.Itoa(len(manifests)), "links", allowLinks))
	b.WriteString("manifest_of() { case $1 in\n")
	for i, m := range manifests {
		fmt.Fprintf(&b, "%d) m=%s ;;\n", i, shell.Quote(m))
	}
	b.WriteString("esac; }\n" + repositoriesBody)
	res, err := runRead(ctx, r, "read the Composer repositories", b.String())
	if err != nil {
		// Not err's text: it may end with the lines of a shop's files that were read.
		status := "it failed"
		var exit *shell.ExitError
		if errors.As(err, &exit) {
			status = fmt.Sprintf("exit status %d", exit.ExitStatus)
		} else if ctx.Err() != nil {
			status = ctx.Err().Error()
		}
		return nil, nil, fmt.Errorf("reading the Composer repositories of %s on the host: %s%s", strings.Join(manifests, ", "), status, causeHint(err))
	}
	answers := make([]answer[sourceFiles], len(manifests))
	seen := make([]bool, len(manifests))
	var linked []int
	var uid string
	owners := map[string][2]string{} // manifest -> owner's name and uid
	for _, part := range strings.Split("\n"+string(res.Stdout), "\n"+sourceMark+" ")[1:] {
		head, body, _ := strings.Cut(part, "\n")
		f := strings.Fields(head)
		switch {
		case len(f) == 2 && f[0] == "uid":
			uid = f[1]
			continue
		case len(f) == 1 && (f[0] == "owners" || f[0] == "uids"):
			field := 0 // ls -ld: the name
			if f[0] == "uids" {
				field = 1 // ls -ldn: the uid
			}
			for line := range strings.Lines(unindent(body)) {
				line = strings.TrimSuffix(line, "\n")
				for _, m := range manifests {
					if o, ok := owners[m]; ok && o[field] != "" {
						continue // the first line for m is ls's own: a symlink's target may hold more
					}
					if lf := strings.Fields(line); len(lf) > 2 && lsLineOf(line, m) {
						o := owners[m]
						o[field] = lf[2]
						owners[m] = o
					}
				}
			}
			continue
		}
		i, err := strconv.Atoi(f[0])
		if err != nil || i < 0 || i >= len(manifests) {
			continue
		}
		seen[i] = true
		switch {
		case len(f) == 2 && f[1] == "link":
			linked = append(linked, i)
			continue
		case len(f) > 2 && f[1] == "unreadable":
			answers[i].err = fmt.Errorf("%s is missing or not readable by the user who lists releases", strings.TrimPrefix(head, f[0]+" unreadable "))
			continue
		}
		doc, auth, _ := strings.Cut("\n"+body, "\n"+sourceSep+"\n") // the sep is a line of its own
		answers[i] = answer[sourceFiles]{val: sourceFiles{manifest: unindent(doc[1:]), auth: strings.TrimSuffix(unindent(auth), "\n")}}
	}
	for i, m := range manifests {
		if !seen[i] {
			answers[i].err = fmt.Errorf("the host printed nothing for %s", m)
		}
		answers[i].val.who = strings.TrimSpace(uid + " " + owners[m][0] + " " + owners[m][1])
	}
	return answers, linked, nil
}

// lsLineOf says whether line is `ls -ld`'s line of the file m: a regular file's, or a
// symlink's (read alone, see repositories.sh).
func lsLineOf(line, m string) bool {
	switch {
	case strings.HasPrefix(line, "-"):
		return strings.HasSuffix(line, " "+m)
	case strings.HasPrefix(line, "l"):
		return strings.Contains(line, " "+m+" -> ")
	}
	return false
}

// unindent drops the space repositories.sh prints before each line of a file.
func unindent(lines string) string {
	var b strings.Builder
	for line := range strings.Lines(lines) {
		b.WriteString(strings.TrimPrefix(line, " "))
	}
	return b.String()
}

// manifestOf is the path of root's Composer manifest: composer.json, or the file
// composer_env's COMPOSER names.
func manifestOf(e Exec, root string) string {
	if v := e.Env["COMPOSER"]; v != "" {
		if path.IsAbs(v) {
			return v
		}
		return path.Join(root, v)
	}
	return path.Join(root, "composer.json")
}

// ReleaseSourceOf reads root's release source: files only, no PHP or Composer.
func ReleaseSourceOf(ctx context.Context, r Runner, e Exec, root string) (ReleaseSource, error) {
	manifest := manifestOf(e, root)
	files, err := readSourceFiles(ctx, RunAs(r, e.RunAs), []string{manifest})
	if err != nil {
		return ReleaseSource{}, err
	}
	return releaseSource(e, root, manifest, files[0].val, files[0].err)
}

// ReleaseSourceThrough is ReleaseSourceOf with the read shared, through b, with the
// other roots read on this host as this user (key); the first read of a key also reads
// the sources of ahead (roots of the host), which the next plans ask for.
func ReleaseSourceThrough(ctx context.Context, b *SourceBatcher, key string, r Runner, e Exec, root string, ahead []string) (ReleaseSource, error) {
	manifest := manifestOf(e, root)
	manifests := make([]string, 0, len(ahead))
	for _, a := range ahead {
		manifests = append(manifests, manifestOf(e, a))
	}
	b.ReadAhead(key, manifests)
	files, err := b.Read(ctx, key, RunAs(r, e.RunAs), manifest)
	return releaseSource(e, root, manifest, files, err)
}

// releaseSource is root's release source from the files the host printed.
func releaseSource(e Exec, root, manifest string, files sourceFiles, err error) (ReleaseSource, error) {
	src := ReleaseSource{AuthFile: path.Join(path.Dir(manifest), "auth.json")}
	if err != nil {
		return src, fmt.Errorf("reading the Composer repositories of %s: %w", root, err)
	}
	// The SSH user's uid, then composer.json's owner (name and uid).
	f := strings.Fields(files.who)
	if e.RunAs == "" && len(f) > 0 && f[0] == "0" && len(f) != 3 {
		// Root would list for a shop whose owner it cannot tell: never as root.
		return src, fmt.Errorf("reading the Composer repositories of %s: the owner of %s cannot be told, and run_as is unset: set run_as to the user the shop runs as", root, manifest)
	}
	if e.RunAs == "" && len(f) == 3 && f[0] == "0" && f[2] != "0" {
		src.ListAs = f[1]
		if UserPattern.FindString(src.ListAs) != src.ListAs {
			src.ListAs = "#" + f[2] // a uid without a name
		}
	}
	doc, auth := files.manifest, files.auth
	var top map[string]json.RawMessage
	if json.Unmarshal([]byte(doc), &top) != nil {
		return src, fmt.Errorf("reading the Composer repositories of %s: %s is not a JSON object", root, manifest)
	}
	kept := map[string]json.RawMessage{}
	if v, ok := top["repositories"]; ok {
		if kept["repositories"], err = absoluteRepositories(v, path.Dir(manifest)); err != nil {
			return src, fmt.Errorf("reading the Composer repositories of %s: %s: %w", root, manifest, err)
		}
	}
	if v, ok := top["config"]; ok {
		var config map[string]json.RawMessage
		if json.Unmarshal(v, &config) != nil {
			return src, fmt.Errorf("reading the Composer repositories of %s: the config of %s is not a JSON object", root, manifest)
		}
		subset := map[string]json.RawMessage{}
		for _, k := range repositoryConfig {
			if v, ok := config[k]; ok {
				subset[k] = v
			}
		}
		if len(subset) > 0 {
			b, _ := json.Marshal(subset) // raw messages that parsed: cannot fail
			kept["config"] = b
		}
	}
	// The listing's directory is no checkout: a version spares Composer guessing one from
	// git, hg, svn and fossil (a process each). It names no package, so lists nothing.
	kept["version"] = json.RawMessage(`"1.0.0"`)
	if src.Manifest, err = json.Marshal(kept); err != nil {
		return src, fmt.Errorf("reading the Composer repositories of %s: %w", root, err)
	}
	if auth == "" {
		src.AuthFile = ""
	}
	env := make([]string, 0, len(e.Env))
	for k, v := range e.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	sum := sha256.Sum256([]byte(strings.Join([]string{string(src.Manifest), auth, e.RunAs, e.php(), e.Composer, strings.Join(env, "\x00"), e.Auth, src.ListAs}, "\x00")))
	src.Digest = hex.EncodeToString(sum[:16])
	return src, nil
}

// absoluteRepositories is a repositories value with the relative urls of path and
// artifact repositories made absolute against dir: the listing runs elsewhere.
func absoluteRepositories(raw json.RawMessage, dir string) (json.RawMessage, error) {
	var repos any
	if err := json.Unmarshal(raw, &repos); err != nil {
		return nil, err
	}
	fix := func(entry any) {
		repo, ok := entry.(map[string]any)
		if !ok || (repo["type"] != "path" && repo["type"] != "artifact") {
			return
		}
		if url, ok := repo["url"].(string); ok && url != "" && !path.IsAbs(url) && !strings.Contains(url, "://") {
			repo["url"] = path.Join(dir, url)
		}
	}
	switch rs := repos.(type) {
	case []any:
		for _, r := range rs {
			fix(r)
		}
	case map[string]any:
		for _, r := range rs {
			fix(r)
		}
	default:
		return raw, nil
	}
	return json.Marshal(repos)
}

// ListingSlots is how a listing takes one of the host's Composer slots, as the applies
// do (apply_slots.sh): per_host_parallelism then holds for plans too, across every
// Terraform process on the machine.
type ListingSlots struct {
	N         int            // per_host_parallelism; 0: no slot is taken
	OnSlot    func(SlotNews) // the wait for a slot, as it happens
	StateBase string         // replaces the default base of the private state directories (tests)
}

// ListReleases lists the tool's versions that src's repositories offer (repo.magento.com
// in production), newest first as Composer prints them, in a private temporary
// directory on the host: no shop's lock, installed.json or plugins are loaded. The list
// is also kept on the host, for KeptReleases. With slots.N set it first takes one of
// the host's Composer slots, as the SSH user.
func ListReleases(ctx context.Context, r Runner, e Exec, src ReleaseSource, slots ListingSlots) ([]string, error) {
	script := "IFS= read -r auth\n" + assign("package", Package, "auth_file", src.AuthFile, "kept_name", src.Digest+".json") +
		e.listingExec().composerFunctionIn(`"$listing_dir"`) + releasesBody
	stdin, err := e.stdin()
	if err != nil {
		return nil, err
	}
	stdin = append(append(stdin, src.Manifest...), '\n')
	label := "composer show --all " + Package
	var res shell.Result
	if slots.N > 0 {
		listAs := e.RunAs
		if listAs == "" {
			listAs = src.ListAs
		}
		run := "sh -c \"$listing\"\n"
		if listAs != "" {
			run = assign("run_as", listAs, "cmd", script, "tree_awk", compact(processTreeAWK)) + runAsBody
		}
		script = assign("state_base", slots.StateBase, "slots", strconv.Itoa(slots.N), "listing", script) + releasesSlotParts + run
		res, err = runChange(ctx, r, label, script, stdin, slots.OnSlot)
		if _, refused := parseChange(res.Stdout, ChangeParams{}); refused != nil {
			refused.Unchanged = false // a listing changes nothing anyway
			return nil, fmt.Errorf("listing %s releases takes one of the host's Composer slots first (per_host_parallelism), "+
				"in the SSH user's private state directory, as applies do: %w", Package, refused)
		}
	} else {
		res, err = listingRunner(r, e, src).Run(ctx, label, script, stdin)
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s releases: %w%s", Package, err, causeHint(err))
	}
	return parseReleases(res.Stdout)
}

// KeptReleases is the list the last ListReleases of src kept on the host, when it is
// at most maxAge old: a saved plan applied on another machine resolves the release the
// plan showed from it, without Composer.
func KeptReleases(ctx context.Context, r Runner, e Exec, src ReleaseSource, maxAge time.Duration) ([]string, bool) {
	res, err := runRead(ctx, listingRunner(r, e, src), "read the kept release list", assign("kept_name", src.Digest+".json")+releasesKeptBody)
	if err != nil {
		return nil, false
	}
	stamp, doc, _ := strings.Cut(string(res.Stdout), "\n")
	listed, err := strconv.ParseInt(strings.TrimSpace(stamp), 10, 64)
	if err != nil || time.Since(time.Unix(listed, 0)) > maxAge {
		return nil, false
	}
	list, err := parseReleases([]byte(doc))
	return list, err == nil && len(list) > 0
}

func parseReleases(stdout []byte) ([]string, error) {
	// Composer may print warnings before the JSON document.
	out := string(stdout)
	if i := strings.Index(out, "{"); i > 0 {
		out = out[i:]
	}
	var show struct {
		Versions []string `json:"versions"`
	}
	if err := json.Unmarshal([]byte(out), &show); err != nil {
		return nil, fmt.Errorf("composer show %s printed no release list (%v); it printed: %.300s", Package, err, strings.TrimSpace(string(stdout)))
	}
	return show.Versions, nil
}

// ResolveTarget picks the exact version to install: the pin, or the newest release for
// Magento's base version. It fails, naming what exists, when there is no such release.
func ResolveTarget(magentoVersion, pin string, releases []string) (string, error) {
	base, err := Base(magentoVersion)
	if err != nil {
		return "", err
	}
	var forBase []string
	for _, r := range releases {
		if DMTVersionPattern.MatchString(r) && dmtBase(r) == base {
			forBase = append(forBase, r)
		}
	}
	if pin != "" {
		if err := CheckPin(pin, magentoVersion); err != nil {
			return "", err
		}
		for _, r := range forBase {
			if r == pin {
				return pin, nil
			}
		}
		return "", fmt.Errorf("%s %s is not released; releases for Magento %s: %s", Package, pin, base, listOrNone(forBase))
	}
	newest, ok := NewestForBase(base, releases)
	if !ok {
		return "", &MissingReleaseError{Magento: magentoVersion, Base: base, Newest: newestFirst(releases, 8)}
	}
	return newest, nil
}

// MissingReleaseError says that upstream has no tool release for Magento's version yet
// (Magento 2.4.9 in 2026): a shop waits for it, it is not broken.
type MissingReleaseError struct {
	Magento, Base string
	Newest        []string // newest releases that do exist
}

func (e *MissingReleaseError) Error() string {
	return fmt.Sprintf("no %s release exists for Magento %s yet (Magento %s); available releases: %s",
		Package, e.Base, e.Magento, listOrNone(e.Newest))
}

func listOrNone(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	return strings.Join(vs, ", ")
}

// newestFirst returns at most n plain releases, newest first.
func newestFirst(releases []string, n int) []string {
	var out []string
	for _, r := range releases {
		if DMTVersionPattern.MatchString(r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return CompareDMT(b, a) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
