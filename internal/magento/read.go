package magento

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Edition values, as the schema documents them.
const (
	EditionCommunity  = "community"
	EditionEnterprise = "enterprise"
	EditionUnknown    = "unknown"
)

// Installation is what one read learns about a Magento root.
type Installation struct {
	Root            string
	MagentoVersion  string // as bin/magento --version prints it, e.g. 2.4.7-p3
	Edition         string
	DMTVersion      string // "" when the tool is not installed
	PHPVersion      string // only when Tools were requested
	ComposerVersion string
	// OwedRestore: an interrupted apply left a restore owed (a record in the SSH user's
	// private state directory); the next apply runs it, even when versions look in sync.
	OwedRestore bool
}

// Tools names the host's php and composer commands, for the data source's versions.
type Tools struct {
	PHP      string
	Composer string
}

// ErrorKind classifies why a root could not be read.
type ErrorKind string

const (
	ErrRootMissing ErrorKind = "missing"
	ErrNotMagento  ErrorKind = "not-magento"
	ErrUnreadable  ErrorKind = "unreadable"
)

// InstallError says why a root is not a readable Magento installation.
type InstallError struct {
	Root   string
	Kind   ErrorKind
	Detail string
	// Owed: an interrupted apply left a restore owed (a power cut in the middle of its
	// restore can leave composer.json missing): the error says where the record is.
	Owed bool
}

func (e *InstallError) Error() string {
	if e.Owed {
		return e.plain() + fmt.Sprintf(". An interrupted apply owes this root a restore: the archive is named on the first line of owed in "+
			"the SSH user's private state directory (%s for root); restore it by hand (tar -xzf ARCHIVE -C %s), then remove that record", StateDir(RootStateBase, e.Root), e.Root)
	}
	return e.plain()
}

func (e *InstallError) plain() string {
	switch e.Kind {
	case ErrRootMissing:
		return fmt.Sprintf("magento_root %s does not exist on the host", e.Root)
	case ErrUnreadable:
		return fmt.Sprintf("%s is not readable by the SSH user (or run_as user): fix its permissions", e.Detail)
	}
	return fmt.Sprintf("%s is not a Magento 2 installation: %s", e.Root, e.Detail)
}

// Read reads one root in one remote command.
func Read(ctx context.Context, r Runner, root string, tools *Tools) (Installation, error) {
	res, err := ReadMany(ctx, r, []string{root}, tools)
	if err != nil {
		return Installation{}, err
	}
	return res[0].Installation, res[0].Err
}

// RootResult is the outcome for one root of ReadMany.
type RootResult struct {
	Installation Installation
	Err          error
}

// ReadMany reads several roots on one host in one remote command.
// A root asked for twice (a resource and a data source on one shop) is read once.
func ReadMany(ctx context.Context, r Runner, roots []string, tools *Tools) ([]RootResult, error) {
	unique := slices.Clone(roots)
	slices.Sort(unique)
	unique = slices.Compact(unique)
	res, err := runRead(ctx, r, "read Magento installation", readScript(unique, tools))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w%s", strings.Join(unique, ", "), err, causeHint(err))
	}
	byRoot, err := parseRead(res.Stdout, unique, tools != nil)
	if err != nil {
		return nil, err
	}
	results := make([]RootResult, len(roots))
	for i, root := range roots {
		j, _ := slices.BinarySearch(unique, root)
		results[i] = byRoot[j]
	}
	return results, nil
}

// rootFacts collects the lines printed for one root.
type rootFacts struct {
	errKind, errDetail string
	pkgs               []pkgLine
	dmtDir             bool
}

type pkgLine struct{ kind, name, version string }

var (
	phpVersionLine      = regexp.MustCompile(`^PHP (\d+\.\d+\.\d+\S*)`)
	composerVersionLine = regexp.MustCompile(`(?i)^Composer(?: version)? (\d+\.\d+\.\d+\S*)`)
)

// readLines is the line protocol of the read scripts (discover.sh, read.sh, extract.sh,
// batch.awk and the tools lines of readScript): each kind a script prints, with its
// fields. The parsers take these and nothing else; a test checks the scripts print no
// other kind.
var readLines = map[string]string{
	"@cand":     "N PATH: a directory discovery will read as root N",
	"@root":     "N: the lines that follow are root N's",
	"@error":    "KIND [DETAIL]: why the root cannot be read (missing, notdir, unreadable PATH, nocomposer)",
	"@dmtdir":   "yes|no: whether the tool's directory exists",
	"@pkg":      "KIND NAME VERSION: a package of interest in the lock, installed.json, root or tool composer.json",
	"@php":      "LINE: the first line of php -v",
	"@composer": "LINE: composer --version",
	"@fatal":    "MESSAGE: the host cannot be read at all",
	"@owed":     "N: root N's private state records a restore owed by an interrupted apply",
}

func parseRead(out []byte, roots []string, withTools bool) ([]RootResult, error) {
	facts := make([]*rootFacts, len(roots))
	owed := make([]bool, len(roots))
	var current *rootFacts
	var php, composer string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		tag, rest, _ := strings.Cut(sc.Text(), " ")
		if _, known := readLines[tag]; !known && strings.HasPrefix(tag, "@") && current != nil {
			return nil, fmt.Errorf("unexpected reader output %q", sc.Text())
		}
		switch tag {
		case "@root":
			i, err := strconv.Atoi(rest)
			if err != nil || i < 0 || i >= len(roots) {
				return nil, fmt.Errorf("unexpected reader output %q", sc.Text())
			}
			if facts[i] == nil {
				facts[i] = &rootFacts{}
			}
			current = facts[i]
		case "@php":
			php = rest
		case "@composer":
			composer = rest
		case "@fatal":
			return nil, fmt.Errorf("reading %s: %s", strings.Join(roots, ", "), rest)
		case "@owed":
			i, err := strconv.Atoi(rest)
			if err != nil || i < 0 || i >= len(roots) {
				return nil, fmt.Errorf("unexpected reader output %q", sc.Text())
			}
			owed[i] = true
		default:
			if current == nil {
				continue // noise from rc files before the first root
			}
			switch tag {
			case "@error":
				if current.errKind == "" {
					current.errKind, current.errDetail, _ = strings.Cut(rest, " ")
				}
			case "@dmtdir":
				if rest != "yes" && rest != "no" {
					return nil, fmt.Errorf("unexpected reader output %q", sc.Text())
				}
				current.dmtDir = rest == "yes"
			case "@pkg":
				if f := strings.Fields(rest); len(f) == 3 { // a version with spaces is no version
					current.pkgs = append(current.pkgs, pkgLine{f[0], f[1], f[2]})
				}
			}
		}
	}
	results := make([]RootResult, len(roots))
	for i, root := range roots {
		if facts[i] == nil {
			return nil, fmt.Errorf("the reader printed nothing for %s (is the login shell POSIX?)", root)
		}
		inst, err := facts[i].installation(root)
		if err == nil && withTools {
			if m := phpVersionLine.FindStringSubmatch(php); m != nil {
				inst.PHPVersion = m[1]
			}
			if m := composerVersionLine.FindStringSubmatch(composer); m != nil {
				inst.ComposerVersion = m[1]
			}
		}
		inst.OwedRestore = owed[i]
		var install *InstallError
		if errors.As(err, &install) && owed[i] {
			install.Owed = true
		}
		results[i] = RootResult{Installation: inst, Err: err}
	}
	return results, nil
}

func (f *rootFacts) installation(root string) (Installation, error) {
	switch f.errKind {
	case "":
	case "missing":
		return Installation{}, &InstallError{Root: root, Kind: ErrRootMissing}
	case "unreadable":
		return Installation{}, &InstallError{Root: root, Kind: ErrUnreadable, Detail: f.errDetail}
	case "notdir":
		return Installation{}, &InstallError{Root: root, Kind: ErrNotMagento, Detail: "it is not a directory"}
	case "nocomposer":
		return Installation{}, &InstallError{Root: root, Kind: ErrNotMagento, Detail: "it has no composer.json"}
	default:
		return Installation{}, fmt.Errorf("reading %s: %s %s", root, f.errKind, f.errDetail)
	}
	inst := Installation{Root: root}
	inst.MagentoVersion, inst.Edition = f.magento()
	if inst.MagentoVersion == "" {
		return Installation{}, &InstallError{Root: root, Kind: ErrNotMagento,
			Detail: "neither composer.lock (magento/product-*-edition, magento/magento2-base) nor composer.json names a Magento version"}
	}
	if f.dmtDir {
		inst.DMTVersion = f.dmt()
	}
	return inst, nil
}

// magento derives the version as Magento's ProductMetadata does: the first
// magento/product-*-edition package in composer.lock, then magento/magento2-base,
// then the root composer.json of a git clone. The edition is not the first product's:
// the enterprise product requires the community one, so an Adobe Commerce lock holds
// both (community first), and Commerce code is installed whenever the enterprise product
// or magento2-ee-base is in the lock.
func (f *rootFacts) magento() (version, edition string) {
	lockEdition := EditionUnknown
	switch {
	case f.inLock("magento/product-enterprise-edition") || f.inLock("magento/magento2-ee-base"):
		lockEdition = EditionEnterprise
	case f.inLock("magento/product-community-edition") || f.inLock("magento/magento2-base"):
		lockEdition = EditionCommunity
	}
	for _, p := range f.pkgs {
		if p.kind == "lock" && strings.HasPrefix(p.name, "magento/product-") && strings.HasSuffix(p.name, "-edition") {
			return p.version, lockEdition
		}
	}
	for _, p := range f.pkgs {
		if p.kind == "lock" && p.name == "magento/magento2-base" {
			return p.version, lockEdition
		}
	}
	for _, p := range f.pkgs {
		if p.kind == "root" {
			switch p.name {
			case "magento/magento2ce":
				return p.version, EditionCommunity
			case "magento/magento2ee":
				return p.version, EditionEnterprise
			case "magento/magento2-base", "magento/magento2ce-base":
				return p.version, EditionUnknown
			}
		}
	}
	return "", ""
}

func (f *rootFacts) inLock(name string) bool {
	for _, p := range f.pkgs {
		if p.kind == "lock" && p.name == name {
			return true
		}
	}
	return false
}

// dmt is the installed tool's version: Composer's installed.json, else the tool's own
// composer.json.
func (f *rootFacts) dmt() string {
	for _, kind := range []string{"installed", "dmt"} {
		for _, p := range f.pkgs {
			if p.kind == kind && (p.name == "magento/data-migration-tool" || (kind == "dmt" && p.name == "-")) {
				return strings.TrimPrefix(p.version, "v")
			}
		}
	}
	return ""
}

// IsNotMagento reports whether err means the root is missing or not Magento.
func IsNotMagento(err error) bool {
	var ie *InstallError
	return errors.As(err, &ie)
}
