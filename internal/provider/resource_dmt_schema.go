package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
)

const defaultKeep = 10

// on_missing_release values.
const (
	missingReleaseWarn  = "warn"
	missingReleaseError = "error"
)

var missingReleaseModes = []string{missingReleaseWarn, missingReleaseError}

// Attribute names that code reads or writes one at a time (path.Root), shared by the
// schema so a rename cannot silently break those reads.
const (
	attrHost                  = "host"
	attrMagentoRoot           = "magento_root"
	attrSSH                   = "ssh"
	attrVersion               = "version"
	attrID                    = "id"
	attrComposerEnv           = "composer_env"
	attrMagentoVersion        = "magento_version"
	attrMagentoEdition        = "magento_edition"
	attrLastBackup            = "last_backup"
	attrPHP                   = "php"
	attrComposer              = "composer"
	attrRemoveOnDestroy       = "remove_on_destroy"
	attrCarryCustomFiles      = "carry_custom_files"
	attrOnMissingRelease      = "on_missing_release"
	attrComposerAuthWO        = "composer_auth_wo"
	attrComposerAuthWOVersion = "composer_auth_wo_version"
	attrRunAs                 = "run_as"
)

func dataMigrationToolSchema(ctx context.Context) schema.Schema {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	return schema.Schema{
		MarkdownDescription: "Keeps `magento/data-migration-tool` in a Magento 2 root in step with Magento. " +
			"`terraform plan` reads both versions over SSH (one command, no PHP) and shows drift; `terraform apply` locks the root, " +
			"backs up the tool, `composer.json`, `composer.lock` and `vendor/composer/`, runs " +
			"`composer require magento/data-migration-tool:<exact version>`, verifies, restores `preserve_paths` and prunes old backups. " +
			"Any failure after the backup restores everything the archive holds.\n\n" +
			"**The locks.** An apply holds the root's private lock (`lock` in the root's private state directory, which only the applying user can write) " +
			"and shows itself to the web nodes sharing the root with the directory `<magento_root>/var/.tf-magento-dmt.lock`, whose `owner` file names the " +
			"holder's PID, host and start time. A second apply on the root fails naming the holder; a lock whose process is proven gone from this machine " +
			"is taken over with a warning; a lock of another host is never taken over: the error gives the `rm -rf` that clears it once you have checked that host. " +
			"While files may differ from the backup, the record `owed` in the private state directory names the archive; if the apply dies, the next apply " +
			"on the root restores the archive first, unless the root has moved on since (then it stops and says what differs). Nothing in the shop's `var/` " +
			"can make an apply restore, delete or run anything.\n\n" +
			"**The archives** are `<backup directory>/tf-magento-dmt-<root id>-<time>-<pid>.tar.gz` (`0600`): the tool's directory (with its `config.xml`, " +
			"which holds both databases' passwords), `composer.json`, `composer.lock` and `vendor/composer/`.\n\n" +
			"**Saved plans** (`terraform plan -out`, applied by another job, maybe on another machine): the plan of a root whose tool is behind " +
			"Magento lists the releases (one listing per host and repository set, shared by the roots that would list the same) and keeps the list " +
			"in the runner's private cache and on the host (`~/.cache/terraform-provider-magento/carried-releases/` of the user Composer runs as), " +
			"so the apply of an update, on any machine, applies the release the plan showed without listing, also after upstream published a newer " +
			"one, for 24 hours (unless a later plan's listing replaced the list). A create reuses only a list of its own Terraform run: " +
			"its plan shows the newest release at plan time, and when upstream publishes a newer one before a saved plan's apply, Terraform " +
			"stops that apply before anything runs on the host (`Provider produced inconsistent final plan`, `.version: was ..., but now ...`); " +
			"run `terraform plan` again. A create that finds the tool in step with Magento (adoption) lists nothing and always applies.",
		Blocks: map[string]schema.Block{
			attrSSH: resourceSSHBlock(),
			"backup": schema.SingleNestedBlock{
				MarkdownDescription: "Where and how backups are kept. Archives hold the tool's `config.xml` (both databases' passwords), so they are " +
					"created `0600`, and a backup directory the provider creates `0700`, whatever the login shell's umask; an existing directory is " +
					"left as it is, with a warning in the apply when other users can read it. A directory the applying user does not own, or that " +
					"group or others can write, is refused before anything changes.",
				Attributes: map[string]schema.Attribute{
					"directory": schema.StringAttribute{Optional: true, Validators: []validator.String{absolutePath},
						MarkdownDescription: "Directory on the host for backup archives. Defaults to the root's private state directory: `" + magento.RootStateBase + "/<id>` when the SSH user is root, else `${XDG_STATE_HOME:-$HOME/.local/state}/terraform-provider-magento/<id>`. " +
							"A directory set here must be private as OpenSSH's StrictModes requires (every directory from `/` down owned by root or the SSH user and writable by no one else), or the apply refuses before anything runs."},
					"keep": schema.Int64Attribute{Optional: true, Validators: []validator.Int64{int64validator.AtLeast(1)},
						MarkdownDescription: fmt.Sprintf("How many archives this provider made for this root (`%s<root id>-<time>-<pid>.tar.gz`, the root id a hash of `magento_root`) "+
							"to keep; older ones are pruned, newest kept by time. Roots that share a directory keep their own. Defaults to `%d`.", magento.ArchivePrefix, defaultKeep)},
					"magento_setup_backup": schema.ListAttribute{Optional: true, ElementType: types.StringType,
						Validators: []validator.List{listvalidator.UniqueValues(), listvalidator.ValueStringsAre(stringvalidator.OneOf(magento.SetupBackupItems...))},
						MarkdownDescription: "Also run `php bin/magento setup:backup` with these parts first: " + quotedList(magento.SetupBackupItems) +
							". Magento disables this command by default; the apply then fails before changing anything. The shop is in maintenance mode " +
							"while the backup runs; if the apply is interrupted or times out there and the shop was not in maintenance mode before, " +
							"the apply turns it off again (`bin/magento maintenance:disable`, under `php` and `run_as`). Defaults to none."},
				},
			},
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true, Delete: true,
				CreateDescription: timeoutDesc("create (adopt or first install)", defaultTimeout),
				UpdateDescription: timeoutDesc("an upgrade", defaultTimeout),
				DeleteDescription: timeoutDesc("destroy (backup and `composer remove`)", defaultTimeout)}),
		},
		Attributes: map[string]schema.Attribute{
			// Required
			attrHost: schema.StringAttribute{Required: true, Validators: hostValidators,
				MarkdownDescription: "Host name or IP address of the Magento server. Changing it replaces the resource.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()}},
			attrMagentoRoot: schema.StringAttribute{Required: true, Validators: []validator.String{canonicalRootPath},
				MarkdownDescription: "Absolute path of the Magento root on the host, in canonical form: no trailing slash, `//` or `/./` " +
					"(refused at validate with the canonical form; an import ID or identity that has them imports the canonical root). Changing it replaces the resource.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},

			// Optional
			attrVersion: schema.StringAttribute{Optional: true, Computed: true,
				Validators: []validator.String{stringvalidator.RegexMatches(magento.DMTVersionPattern,
					"must be an exact Data Migration Tool version, X.Y.Z or X.Y.Z.N (for example 2.4.7 or 2.4.8.1); there are no -pN releases")},
				MarkdownDescription: "Exact Data Migration Tool version to pin, such as `2.4.8.1`. Its first three parts must equal Magento's " +
					"(`2.4.7` for Magento `2.4.7-p3`). Unset: follow Magento, installing the newest release for Magento's version. " +
					"In state: the installed version."},
			attrRunAs: schema.StringAttribute{Optional: true, Validators: runAsValidators,
				MarkdownDescription: "OS user that owns the Magento files and runs php and composer, through `sudo -n -u` " +
					"(non-interactive: it never prompts, so the SSH user needs a passwordless sudo rule). Not known at plan (built from a resource " +
					"created in the same apply): the plan reads nothing as another user in its place, and the versions are known after apply."},
			attrPHP: schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("php"),
				Validators: commandValidators, MarkdownDescription: "PHP command on the host, e.g. `/opt/plesk/php/8.3/bin/php` where an older OS PHP comes first on `PATH`. " +
					"When set, every PHP program the provider runs runs under it: `bin/magento`, and Composer too when Composer is a PHP program " +
					"(a `.phar`, or a file whose first line is a `php` shebang or `<?php`), as `<php> <composer path>`; a shell wrapper runs as it is. Defaults to `php`. " +
					"Not known at plan: the release is resolved at apply (the default is never used in its place), as for `composer` and `composer_env`."},
			attrComposer: schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("composer"),
				Validators: commandValidators, MarkdownDescription: "Composer command on the host: a name looked up on `PATH` (`command -v`), or a path, which may name a " +
					"`composer.phar`. The tool stays in the `composer.json` section it is in (`--dev` for `require-dev`). Defaults to `composer`."},
			"composer_env": schema.MapAttribute{Optional: true, ElementType: types.StringType,
				Validators: []validator.Map{mapvalidator.KeysAre(stringvalidator.RegexMatches(magento.EnvKeyPattern, "must be an environment variable name"), notACredential)},
				MarkdownDescription: "Extra environment for composer. `COMPOSER_MEMORY_LIMIT=-1`, `COMPOSER_NO_INTERACTION=1`, and `COLUMNS=80` " +
					"and `LINES=50` (the size Composer assumes without a terminal) apply unless set here. Not secret (it is stored in state): put repository credentials in the provider's `composer_auth` or in `composer_auth_wo`."},
			"preserve_paths": schema.ListAttribute{Optional: true, ElementType: types.StringType,
				Validators: []validator.List{listvalidator.ValueStringsAre(relativePath)},
				MarkdownDescription: "Paths relative to the tool's directory (such as `etc/opensource-to-opensource/1.9.4.5/map.xml`) " +
					"copied from the backup into the new version after an upgrade: custom map and config files that Composer would otherwise delete."},
			attrOnMissingRelease: schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(missingReleaseWarn),
				Validators: []validator.String{stringvalidator.OneOf(missingReleaseModes...)},
				MarkdownDescription: "What a plan does when no Data Migration Tool release exists for Magento's version (Magento 2.4.9 in 2026): " +
					"`\"warn\"` plans no change and warns, naming Magento's version, the tool's and the newest releases that exist, so the shop waits " +
					"for upstream and a fleet is not blocked; `\"error\"` fails the plan. Defaults to `\"warn\"`."},
			attrCarryCustomFiles: schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "After an upgrade, copy every file of the old tool directory that the new release does not ship (the `config.xml`, " +
					"`map.xml` and other files operators create next to the `.dist` files, which Composer deletes) into the new version, and name them " +
					"in a warning. Symbolic links (a `config.xml` linked from outside `vendor/`) are carried as links. `preserve_paths` still forces a path over, shipped or not. Defaults to `true`."},
			attrComposerAuthWO: schema.StringAttribute{Optional: true, WriteOnly: true, Sensitive: true,
				Validators: []validator.String{composerAuthJSON},
				MarkdownDescription: "Composer credentials for this shop only, as the provider's `composer_auth` (JSON for `COMPOSER_AUTH`), which they " +
					"replace for this resource: shops of one fleet with their own repo.magento.com keys, in one provider block and a `for_each`. " +
					"Write-only (Terraform and OpenTofu 1.11 or later; older versions reject it): never in plan or state, so an ephemeral value " +
					"or a variable is fine. It reaches Composer on the SSH session's standard input, as `composer_auth` does. Terraform sends no " +
					"configuration on destroy, so `composer remove` on destroy uses the provider's `composer_auth`. Changing only the value " +
					"does not show in a plan: bump `" + attrComposerAuthWOVersion + "` with it."},
			attrComposerAuthWOVersion: schema.Int64Attribute{Optional: true,
				Validators: []validator.Int64{int64validator.AlsoRequires(path.MatchRoot(attrComposerAuthWO))},
				MarkdownDescription: "Any number; change it when `" + attrComposerAuthWO + "` changes. The change is an update that runs nothing on " +
					"the host: the new credentials are used the next time Composer runs (a plan that lists releases, an upgrade)."},
			attrRemoveOnDestroy: schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "On destroy, back up and run `composer remove magento/data-migration-tool`. `false` only forgets the resource. Defaults to `true`."},

			// Computed
			attrID: schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "`ssh://user@host:port/magento/root`; also the import ID. It follows the connection: a change of `ssh { port }` or " +
					"`user` plans the new id, and alone is an update that runs nothing on the host."},
			"magento_version": computed("Magento's version as `bin/magento --version` prints it, e.g. `2.4.7-p3`."),
			"magento_edition": computed("`community`, `enterprise` or `unknown`."),
			"last_backup":     computed("Remote path of the newest backup archive this resource made."),
		},
	}
}

// timeoutDesc documents a timeout with its default.
func timeoutDesc(what string, d time.Duration) string {
	return fmt.Sprintf("How long %s may take, as a Go duration such as `30m`. Defaults to `%s`.", what, shortDuration(d))
}

// shortDuration prints 20m rather than Go's 20m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func quotedList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = "`" + s + "`"
	}
	return strings.Join(quoted, ", ")
}
