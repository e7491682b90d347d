// Where a root requires and locks a package. Run as `php -r CODE ROOT PACKAGE`: prints
// "@section" and the composer.json section (require, require-dev or none) and the
// composer.lock one (packages, packages-dev or none): only that line is read, so a
// warning PHP prints cannot pass for an answer.
[, $root, $package] = $argv;
$json = json_decode((string) @file_get_contents("$root/composer.json"), true);
$lock = json_decode((string) @file_get_contents("$root/composer.lock"), true);
$required = 'none';
foreach (['require', 'require-dev'] as $section) {
    if (isset($json[$section][$package])) {
        $required = $section;
        break;
    }
}
$locked = 'none';
foreach (['packages', 'packages-dev'] as $section) {
    foreach ($lock[$section] ?? [] as $p) {
        if (($p['name'] ?? '') === $package) {
            $locked = $section;
            break 2;
        }
    }
}
echo "@section $required $locked\n";
