//go:build benchfloor

package provider

// readReturnsPriorState makes Read hand back the prior state untouched: the provider
// `make bench` builds with -tags benchfloor to time what the plugin framework itself
// costs a refresh. Never in the shipped provider (it is built without tags).
const readReturnsPriorState = true
