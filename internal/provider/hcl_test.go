package provider

import (
	"fmt"
	"strconv"
	"strings"
)

// requireProvider names the provider's source, which a module outside the hashicorp
// namespace needs (dev_overrides serve it from the test's build).
const requireProvider = `
terraform {
  required_providers {
    magento = { source = "magento-ops/magento" }
  }
}
`

// hclList is items as an HCL list of strings.
func hclList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// arg is one argument of an HCL block: its name and its value written in HCL.
type arg struct{ name, value string }

// str is an argument whose value is the string s.
func str(name, s string) arg { return arg{name, strconv.Quote(s)} }

// expr is an argument whose value is the HCL expression value.
func expr(name, value string) arg { return arg{name, value} }

// hclBlock is a block (`resource "magento_data_migration_tool" "shop"`) of args, after
// a blank line, with the = aligned as terraform fmt aligns it.
func hclBlock(header string, args ...arg) string {
	width := 0
	for _, a := range args {
		width = max(width, len(a.name))
	}
	var b strings.Builder
	b.WriteString("\n" + header + " {\n")
	for _, a := range args {
		fmt.Fprintf(&b, "  %-*s = %s\n", width, a.name, a.value)
	}
	b.WriteString("}\n")
	return b.String()
}

// dmtHCL is magento_data_migration_tool.<name> for root on host, with more args.
func dmtHCL(name, host, root string, more ...arg) string {
	return hclBlock(fmt.Sprintf("resource \"magento_data_migration_tool\" %q", name),
		append([]arg{str("host", host), str("magento_root", root)}, more...)...)
}

// installationHCL is data.magento_installation.<name> for root on host.
func installationHCL(name, host, root string) string {
	return hclBlock(fmt.Sprintf("data \"magento_installation\" %q", name), str("host", host), str("magento_root", root))
}
