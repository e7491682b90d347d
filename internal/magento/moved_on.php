// Has a Magento root moved on since an interrupted apply? Run as
// `php -r CODE ARCHIVED_DIR ROOT PACKAGE`: prints "@differs WHAT" for each difference
// between the archived composer.json/composer.lock and the root's, apart from the
// tool's own entries (its requirement, its lock entry, the content hash, and packages
// only one side has that that side's tool requires), then "@checked". Versions and
// source/dist references are compared. A current file that is missing or unparsable is
// what a killed Composer can leave: it counts as matching.
[, $archived, $root, $package] = $argv;

function load(string $file): ?array {
    if (!is_file($file)) {
        return null;
    }
    $data = json_decode((string) file_get_contents($file), true);
    return is_array($data) ? $data : null;
}

function manifest(array $json, string $package): array {
    foreach (['require', 'require-dev'] as $section) {
        unset($json[$section][$package]);
        if (isset($json[$section]) && $json[$section] === []) {
            unset($json[$section]);
        }
    }
    return $json;
}

function toolRequires(?array $lock, string $package): array {
    $names = [];
    foreach (['packages', 'packages-dev'] as $section) {
        foreach ($lock[$section] ?? [] as $p) {
            if (($p['name'] ?? '') === $package) {
                $names += array_fill_keys(array_keys($p['require'] ?? []), true);
            }
        }
    }
    return $names;
}

function locked(array $lock): array {
    $packages = [];
    foreach (['packages', 'packages-dev'] as $section) {
        foreach ($lock[$section] ?? [] as $p) {
            $name = (string) ($p['name'] ?? '');
            $packages[$name] = [(string) ($p['version'] ?? ''), trim(($p['source']['reference'] ?? '') . ' ' . ($p['dist']['reference'] ?? ''))];
        }
    }
    ksort($packages);
    return $packages;
}

$out = [];
$oldJson = load("$archived/composer.json");
$newJson = load("$root/composer.json");
if ($newJson !== null) {
    if ($oldJson === null) {
        $out[] = "composer.json: the archive has none that can be read";
    } else {
        $old = manifest($oldJson, $package);
        $new = manifest($newJson, $package);
        foreach (array_unique(array_merge(array_keys($old), array_keys($new))) as $key) {
            if (($old[$key] ?? null) != ($new[$key] ?? null)) {
                $out[] = "composer.json: \"$key\" differs";
            }
        }
    }
}
$oldLock = load("$archived/composer.lock");
$newLock = load("$root/composer.lock");
if ($newLock !== null) {
    if ($oldLock === null) {
        $out[] = "composer.lock: the archive has none that can be read";
    } else {
        $old = locked($oldLock);
        $new = locked($newLock);
        $oldTool = toolRequires($oldLock, $package);
        $newTool = toolRequires($newLock, $package);
        foreach (array_unique(array_merge(array_keys($old), array_keys($new))) as $name) {
            if ($name === $package) {
                continue;
            }
            // A dependency the new tool brought, or one the old tool alone needed.
            if ((!isset($old[$name]) && isset($newTool[$name])) || (!isset($new[$name]) && isset($oldTool[$name]))) {
                continue;
            }
            $was = $old[$name] ?? ['absent', ''];
            $now = $new[$name] ?? ['absent', ''];
            if ($was[0] !== $now[0]) {
                $out[] = "composer.lock: $name {$was[0]} -> {$now[0]}";
            } elseif ($was[1] !== $now[1]) {
                $out[] = "composer.lock: $name {$was[0]} (another commit: {$was[1]} -> {$now[1]})";
            }
        }
        if (($oldLock['platform'] ?? []) != ($newLock['platform'] ?? [])) {
            $out[] = "composer.lock: \"platform\" differs";
        }
    }
}
foreach ($out as $line) {
    echo "@differs ", str_replace("\n", " ", $line), "\n";
}
echo "@checked\n";
