package magento

// changeLines is the line protocol of the apply script (change.sh and its parts): each
// kind it reports to Go, with its fields. parseChange reads these and nothing else; a
// test checks that the scripts print no other kind.
var changeLines = map[string]string{
	"@current":          "VERSION: the tool's version before the apply (empty: absent)",
	"@owner":            "USER: run_as is unset and the SSH user is root: the shop is touched as composer.json's owner",
	"@backup":           "PATH: the archive this apply's restore uses (last_backup)",
	"@warning":          "TEXT: a warning for the operator",
	"@pruned":           "PATH: an archive of this root removed by backup.keep",
	"@carried":          "FILE: a file of the old tool directory carried into the new version",
	"@output":           "LINE: one of Composer's (or bin/magento's) last lines",
	"@not-owned":        "PATH: a path Composer must replace that the shop's owner does not own",
	"@differs":          "TEXT: how composer.json or composer.lock moved on since an interrupted apply",
	"@owed":             "PATH: the archive a restore is owed from",
	"@owed-restored":    "PATH: the owed restore ran; nothing is owed any more",
	"@restored":         "PATH: the root was put back from this archive (after the swap and the sync)",
	"@restore-failed":   "WHY: a restore could not complete; the root is as the failed apply left it",
	"@unchanged":        "nothing in the shop or the state was changed",
	"@files-unchanged":  "setup:backup ran, composer.json, composer.lock and the tool were not changed",
	"@maintenance":      "off|left-on: maintenance mode after an interrupted setup:backup",
	"@liveness-unknown": "whether the lock's holder runs cannot be told here (no machine id or boot id)",
	"@moved":            "OLD NEW: magento_root resolved to OLD when the apply started and to NEW at its end",
	"@slot":             "N: the apply holds the host's Composer slot N (per_host_parallelism)",
	"@slot-wait":        "PID HOST START;...: every slot of the host is held, by these applies; the apply waits",
	"@installed":        "VERSION: the apply's end: the tool's version now (empty: removed)",
	"@fail":             "STEP DETAIL: the apply failed at STEP (the last line it prints)",
}

// ownerLines are what the owner's tasks (owner_tasks.sh, section.php, moved_on.php)
// answer the apply script on the host; they never reach Go.
var ownerLines = map[string]string{
	"@took":         "the shared lock was made",
	"@held":         "LINE: the shared lock's holder line",
	"@legacy":       "LINE: the shared lock holds an earlier build's restore marker",
	"@lock-failed":  "WHY: the shared lock could not be made",
	"@swapped":      "the restore's swap completed and was synced",
	"@check-failed": "WHY: the moved-on check could not run",
}
