package sync

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	analyzer "github.com/backlog-health/analyzer"
)

// MissingBoardsError reports configured boards that the site does not show
// to the account: deleted, mistyped, or without permission. Run syncs the
// boards it found and then returns this error (joined with any other).
type MissingBoardsError struct {
	SiteID string
	IDs    []int64 // sorted
}

func (e *MissingBoardsError) Error() string {
	return fmt.Sprintf("sync: site %s: %s", e.SiteID, e.Detail())
}

// Detail says which boards are missing, without a prefix.
func (e *MissingBoardsError) Detail() string {
	ids := make([]string, len(e.IDs))
	for i, id := range e.IDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	if len(ids) == 1 {
		return "configured board " + ids[0] + " does not exist or is not visible to this account"
	}
	return "configured boards " + strings.Join(ids, ", ") + " do not exist or are not visible to this account"
}

// MissingBoards returns the configured board ids (sorted) that are not
// among the boards the site lists.
func MissingBoards(configured []int64, listed []analyzer.Board) []int64 {
	var missing []int64
	for _, id := range configured {
		if !slices.ContainsFunc(listed, func(b analyzer.Board) bool { return b.ID == id }) && !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	return missing
}
