package jirasim

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Word lists for realistic generated text. Everything is picked through a
// seeded *rand.Rand so the same seed yields the same text.

var teamNames = []struct{ name, key string }{
	{"Phoenix", "PHX"}, {"Atlas", "ATL"}, {"Orion", "ORI"}, {"Nova", "NOVA"},
	{"Zephyr", "ZEP"}, {"Titan", "TTN"}, {"Vega", "VEGA"}, {"Lyra", "LYRA"},
	{"Helix", "HLX"}, {"Quasar", "QSR"}, {"Borealis", "BOR"}, {"Cobalt", "COB"},
}

var firstNames = []string{
	"Alice", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
	"Kavya", "Liam", "Mei", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
	"Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoe",
}

var lastNames = []string{
	"Andersen", "Becker", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Hoffmann",
	"Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov",
	"Rossi", "Schmidt", "Tanaka", "Varga", "Weber", "Yilmaz", "Zhang",
}

var timeZones = []string{"Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata", "Europe/Zurich", "America/Los_Angeles"}

var epicNames = []string{
	"Checkout redesign", "Mobile onboarding", "Self-service billing", "Search relevance",
	"Notifications overhaul", "GDPR data export", "Partner API v2", "Reporting dashboard",
	"Single sign-on", "Performance budget", "Accessibility audit", "Multi-currency support",
	"Offline mode", "Audit log", "Usage-based pricing", "Admin console",
}

var personas = []string{"shopper", "team admin", "new user", "support agent", "finance manager", "mobile user", "developer", "guest"}

var storyActions = []string{
	"save my cart across devices", "export invoices as PDF", "reset my password by SMS",
	"filter orders by status", "invite colleagues by email", "see delivery estimates",
	"pay with Apple Pay", "change my notification settings", "download my personal data",
	"search products by barcode", "schedule a recurring report", "undo an accidental delete",
	"log in with my company account", "see usage per month", "edit my shipping address",
}

var benefits = []string{
	"I don't lose my selection", "I can close the books on time", "I can get back in quickly",
	"I find what I need faster", "my team can get started", "I can plan my week",
	"checkout is faster", "I only get relevant alerts", "we stay compliant",
}

var components = []string{"Checkout", "Login", "Search", "Billing", "Notifications", "Admin", "API", "Mobile app", "Reports", "Onboarding"}

var symptoms = []string{
	"500 error", "blank page", "wrong total", "duplicate emails", "timeout",
	"spinner never stops", "stale data shown", "crash on submit", "wrong currency symbol", "slow response",
}

var conditions = []string{
	"coupon is applied", "user has no avatar", "session expires", "locale is de-DE",
	"cart has more than 50 items", "uploading a large file", "two tabs are open",
	"the network drops", "switching accounts", "the date is February 29",
}

var taskTexts = []string{
	"Upgrade Postgres driver to latest", "Add alerting for queue backlog", "Rotate API signing keys",
	"Remove unused feature flags", "Migrate CI to new runners", "Add tracing to payment service",
	"Document the release process", "Set up staging database snapshot", "Bump Go toolchain",
	"Clean up deprecated endpoints", "Load test the export job", "Configure log retention",
}

var subtaskTexts = []string{
	"Backend: implement endpoint", "Frontend: wire up form", "Write unit tests", "Update API docs",
	"QA: verify on staging", "Add database migration", "Design review", "Add analytics events",
}

var goalTemplates = []string{
	"Ship %s, fix %s bugs",
	"Finish %s; start %s discovery",
	"Release %s to beta customers, keep %s stable",
	"%s: first usable version, plus %s clean-up",
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func summaryFor(r *rand.Rand, typ issueType) string {
	switch typ {
	case typeEpic:
		return pick(r, epicNames)
	case typeStory:
		if r.IntN(3) == 0 {
			return fmt.Sprintf("%s: %s", pick(r, components), capitalize(pick(r, storyActions)))
		}
		return fmt.Sprintf("As a %s, I want to %s so that %s", pick(r, personas), pick(r, storyActions), pick(r, benefits))
	case typeBug:
		return fmt.Sprintf("%s: %s when %s", pick(r, components), pick(r, symptoms), pick(r, conditions))
	case typeSubtask:
		return pick(r, subtaskTexts)
	default:
		return pick(r, taskTexts)
	}
}

func descriptionFor(r *rand.Rand, typ issueType, summary string) string {
	switch typ {
	case typeBug:
		return fmt.Sprintf("Steps to reproduce:\n# Open %s\n# Trigger the action\n\nExpected: works.\nActual: %s.", pick(r, components), pick(r, symptoms))
	case typeStory:
		return fmt.Sprintf("Acceptance criteria:\n* %s\n* Covered by tests\n* Works on mobile", summary)
	case typeEpic:
		return "Goal: " + summary + ". See the product brief for scope."
	default:
		return ""
	}
}

func goalFor(r *rand.Rand) string {
	return fmt.Sprintf(pick(r, goalTemplates), strings.ToLower(pick(r, epicNames)), strings.ToLower(pick(r, components)))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
