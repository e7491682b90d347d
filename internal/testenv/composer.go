package testenv

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DMTReleases are the Data Migration Tool releases in the offline repository. There is
// deliberately none for 2.4.9, as upstream in 2026.
var DMTReleases = []string{"2.4.6", "2.4.6.1", "2.4.7", "2.4.8", "2.4.8.1"}

// MagentoReleases are the product releases, per edition. They require one another as
// Magento's metapackages do: the community product requires magento/magento2-base; the
// enterprise product (Adobe Commerce) requires the community product and
// magento/magento2-ee-base, so a Commerce lock holds both editions, community first; the
// Adobe Commerce Cloud metapackage requires the enterprise product.
var MagentoReleases = map[string][]string{
	"community":  {"2.4.6-p4", "2.4.7", "2.4.7-p3", "2.4.8", "2.4.9"},
	"enterprise": {"2.4.7-p3", "2.4.8"},
}

// Repo is an offline Composer repository: one directory per release, read through a
// `path` repository with copies instead of symlinks, and Packagist disabled.
type Repo struct {
	Dir         string
	ComposerEnv []string // COMPOSER_HOME and friends, for running composer offline
}

// NewRepo writes the repository under a temporary directory.
func NewRepo(t TB) *Repo {
	t.Helper()
	need(t, "php", "composer")
	base := t.TempDir()
	r := &Repo{Dir: filepath.Join(base, "repo")}
	home := filepath.Join(base, "composer-home")
	r.ComposerEnv = []string{
		"COMPOSER_HOME=" + home,
		"COMPOSER_CACHE_DIR=" + filepath.Join(home, "cache"),
		"COMPOSER_ALLOW_SUPERUSER=1",
		"COMPOSER_NO_AUDIT=1",
		"COMPOSER_DISABLE_XDEBUG_WARN=1",
	}
	for _, v := range DMTReleases {
		r.addDMT(t, v)
	}
	for _, v := range MagentoReleases["community"] {
		r.addPackage(t, "magento/magento2-base", v, "library", map[string]string{"app/etc/di.xml": "<config/>\n"}, nil)
		r.addPackage(t, "magento/product-community-edition", v, "metapackage", nil, map[string]string{"magento/magento2-base": v})
	}
	for _, v := range MagentoReleases["enterprise"] {
		r.addPackage(t, "magento/magento2-ee-base", v, "library", map[string]string{"app/etc/enterprise/di.xml": "<config/>\n"}, nil)
		r.addPackage(t, "magento/product-enterprise-edition", v, "metapackage", nil,
			map[string]string{"magento/product-community-edition": v, "magento/magento2-ee-base": v})
		r.addPackage(t, "magento/magento-cloud-metapackage", v, "metapackage", nil, map[string]string{"magento/product-enterprise-edition": v})
	}
	return r
}

// AddRelease publishes a Data Migration Tool release in this repository (upstream
// catching up with a Magento version).
func (r *Repo) AddRelease(t TB, version string) { r.addDMT(t, version) }

// addDMT writes a release with the files operators customise (map and config files).
func (r *Repo) addDMT(t TB, version string) {
	t.Helper()
	files := map[string]string{
		"etc/opensource-to-opensource/1.9.4.5/map.xml.dist":    "<map version=\"" + version + "\"/>\n",
		"etc/opensource-to-opensource/1.9.4.5/config.xml.dist": "<config version=\"" + version + "\"/>\n",
		"etc/opensource-to-opensource/class-map.xml.dist":      "<classmap/>\n",
		"src/Migration/Version.php":                            "<?php return '" + version + "';\n",
		"bin/migrate":                                          "#!/usr/bin/env php\n<?php echo 'migrate " + version + "';\n",
	}
	r.addPackage(t, "magento/data-migration-tool", version, "library", files, nil)
}

func (r *Repo) addPackage(t TB, name, version, kind string, files, require map[string]string) {
	t.Helper()
	dir := filepath.Join(r.Dir, strings.ReplaceAll(name, "/", "--")+"--"+version)
	manifest := map[string]any{"name": name, "version": version, "type": kind,
		"description": "Offline test release of " + name}
	if len(require) > 0 {
		manifest["require"] = require
	}
	writeJSON(t, filepath.Join(dir, "composer.json"), manifest)
	for rel, content := range files {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("%v", err)
		}
		writeFile(t, path, content, 0o644)
	}
}

// RootSpec describes a Magento root to install.
type RootSpec struct {
	Edition string // community (default) or enterprise
	Magento string // product version, e.g. 2.4.7-p3
	DMT     string // tool version; empty = not installed
	// GitClone lays the root out as a clone of magento/magento2: no product package,
	// the version in the root composer.json.
	GitClone bool
	// BaseOnly requires magento/magento2-base instead of a product package.
	BaseOnly bool
	// Cloud requires magento/magento-cloud-metapackage (which requires the enterprise
	// product) instead of a product package, as Adobe Commerce Cloud roots do.
	Cloud bool
	// Composer1 rewrites vendor/composer/installed.json in Composer 1's bare-array format.
	Composer1 bool
	// Extra packages go into the lock too (realistic lock sizes for benchmarks).
	Extra int
}

// NewRoot installs a Magento root at dir with real Composer, offline.
func (r *Repo) NewRoot(t TB, dir string, spec RootSpec) string {
	t.Helper()
	if spec.Edition == "" {
		spec.Edition = "community"
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatalf("%v", err)
	}
	require := map[string]string{}
	manifest := map[string]any{
		"name":              "magento/project-" + spec.Edition + "-edition",
		"type":              "project",
		"minimum-stability": "stable",
		"require":           require,
		"repositories": []any{
			map[string]any{"type": "path", "url": r.Dir + "/*", "options": map[string]any{"symlink": false}},
			map[string]any{"packagist.org": false},
		},
		"config": map[string]any{"sort-packages": true, "allow-plugins": false},
	}
	switch {
	case spec.GitClone:
		manifest["name"] = "magento/magento2ce"
		if spec.Edition == "enterprise" {
			manifest["name"] = "magento/magento2ee"
		}
		manifest["version"] = spec.Magento
	case spec.BaseOnly:
		require["magento/magento2-base"] = spec.Magento
	case spec.Cloud:
		require["magento/magento-cloud-metapackage"] = spec.Magento
	default:
		require["magento/product-"+spec.Edition+"-edition"] = spec.Magento
	}
	if spec.DMT != "" {
		require["magento/data-migration-tool"] = spec.DMT
	}
	if spec.Extra > 0 {
		r.addFiller(t, spec.Extra, require)
	}
	writeJSON(t, filepath.Join(dir, "composer.json"), manifest)
	writeFile(t, filepath.Join(dir, "bin", "magento"), strings.ReplaceAll(fakeMagentoCLI, "VERSION", spec.Magento), 0o755)
	run(t, r.ComposerEnv, dir, "composer", "update", "--no-interaction", "--no-progress", "--quiet")
	if spec.Composer1 {
		r.toComposer1(t, dir)
	}
	return dir
}

// addFiller adds n packages shaped like a real shop's (descriptions, requirements,
// autoload rules), so composer.lock and installed.json reach a real shop's 1-2 MB.
func (r *Repo) addFiller(t TB, n int, require map[string]string) {
	t.Helper()
	words := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. ", 24)
	for i := range n {
		name := fmt.Sprintf("vendor%02d/module-filler-%03d", i%40, i)
		dir := filepath.Join(r.Dir, strings.ReplaceAll(name, "/", "--")+"--1.0.0")
		if _, err := os.Stat(dir); err != nil {
			manifest := map[string]any{
				"name": name, "version": "1.0.0", "type": "metapackage", "license": []string{"OSL-3.0", "AFL-3.0"},
				"description": fmt.Sprintf("Filler module %d. %s", i, words),
				"keywords":    []string{"magento", "module", "filler", fmt.Sprintf("k%d", i)},
				"authors":     []map[string]string{{"name": "Filler Vendor", "email": "dev@example.com", "homepage": "https://example.com"}},
				"extra":       map[string]any{"map": [][]string{{"etc/module.xml", fmt.Sprintf("app/code/Vendor/Filler%d/etc/module.xml", i)}}},
				"support":     map[string]string{"issues": "https://example.com/issues", "source": "https://example.com/source"},
			}
			writeJSON(t, filepath.Join(dir, "composer.json"), manifest)
		}
		require[name] = "1.0.0"
	}
}

func (r *Repo) toComposer1(t TB, root string) {
	t.Helper()
	path := filepath.Join(root, "vendor", "composer", "installed.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	var v2 struct {
		Packages []json.RawMessage `json:"packages"`
	}
	if err := json.Unmarshal(raw, &v2); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	writeJSON(t, path, v2.Packages)
}

func writeJSON(t TB, path string, v any) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("%v", err)
	}
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		t.Fatalf("%v", err)
	}
	writeFile(t, path, string(b)+"\n", 0o644)
}

// fakeMagentoCLI stands in for bin/magento (a real Magento cannot be installed offline):
// --version; setup:backup, which is disabled unless var/backup-enabled.flag exists, as
// Magento's is by default, and runs inside maintenance mode (var/.maintenance.flag),
// which stays on when it is killed (var/setup-backup.hang makes it hang there); and
// maintenance:enable / maintenance:disable.
const fakeMagentoCLI = `#!/usr/bin/env php
<?php
$cmd = $argv[1] ?? '';
$var = __DIR__ . '/../var';
if ($cmd === '--version') { echo "Magento CLI VERSION\n"; exit(0); }
if ($cmd === 'setup:backup') {
    if (!file_exists("$var/backup-enabled.flag")) {
        echo "Backup functionality is currently disabled. Please use other means for backups\n";
        exit(1);
    }
    touch("$var/.maintenance.flag");
    echo "Enabling maintenance mode\n";
    while (file_exists("$var/setup-backup.hang")) { usleep(100000); }
    file_put_contents("$var/setup-backup.args", implode(' ', array_slice($argv, 2)));
    unlink("$var/.maintenance.flag");
    echo "Completed\nDisabling maintenance mode\n";
    exit(0);
}
if ($cmd === 'maintenance:enable') { touch("$var/.maintenance.flag"); echo "Enabled maintenance mode\n"; exit(0); }
if ($cmd === 'maintenance:disable') { @unlink("$var/.maintenance.flag"); echo "Disabled maintenance mode\n"; exit(0); }
fwrite(STDERR, "fake bin/magento: unsupported command $cmd\n");
exit(1);
`
