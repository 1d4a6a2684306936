package jirasim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	jira "github.com/andygrunwald/go-jira"

	"github.com/backlog-health/analyzer/internal/jira/jirasim/devlakeconv"
)

// devlakeDir is DevLake's recording of a real Jira Cloud site (see its SOURCE.md).
const devlakeDir = "../../../../shared/testdata/real/devlake-jira-e2e"

// TestDevLakeRoundTrip converts DevLake's recorded issues into a --data
// directory, serves it, and reads every issue back through go-jira.
func TestDevLakeRoundTrip(t *testing.T) {
	if _, err := os.Stat(devlakeDir); err != nil {
		t.Skipf("shared test data not found at %s (it lives beside the repository, not in it)", devlakeDir)
	}
	dst := t.TempDir()
	if err := devlakeconv.Convert(devlakeDir, dst); err != nil {
		t.Fatalf("devlakeconv: %v", err)
	}
	sum := readConverted(t, dst)
	// SOURCE.md: 33 issue rows (30 for board 8, 3 for board 93).
	if len(sum.Issues) < 30 {
		t.Fatalf("converter wrote %d issues", len(sum.Issues))
	}
	for _, mode := range []Mode{ModeCloud, ModeDC} {
		t.Run(string(mode), func(t *testing.T) {
			_, ts := NewTestServer(t, Config{Mode: mode, DataDir: dst})
			c := clientFor(t, mode, ts.URL)
			for _, key := range sum.Issues {
				is, _, err := c.Issue.Get(key, &jira.GetQueryOptions{Expand: "changelog"})
				if err != nil {
					t.Fatalf("Issue.Get(%s): %v", key, err)
				}
				want := sum.Histories[key]
				if mode == ModeCloud {
					want = min(want, 100)
				}
				if is.Key != key || is.Changelog == nil || len(is.Changelog.Histories) != want {
					t.Fatalf("%s: key %s, histories %d, want %d", key, is.Key, len(is.Changelog.Histories), want)
				}
				ids := map[string]bool{}
				for _, h := range is.Changelog.Histories {
					if ids[h.Id] {
						t.Fatalf("%s: history %s twice", key, h.Id)
					}
					ids[h.Id] = true
				}
			}
			// SOURCE.md: EE-1 was created 2020-06-12T00:13:13Z.
			ee1, _, err := c.Issue.Get("EE-1", nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := time.Time(ee1.Fields.Created).UTC().Truncate(time.Second); !got.Equal(time.Date(2020, 6, 12, 0, 13, 13, 0, time.UTC)) {
				t.Errorf("EE-1 created %v", got)
			}
			// Boards and their issues, as the converter listed them.
			boards, _, err := c.Board.GetAllBoards(nil)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, b := range boards.Values {
				ids = append(ids, int64(b.ID))
			}
			if !slices.Equal(ids, sum.Boards) {
				t.Errorf("boards %v, converter wrote %v", ids, sum.Boards)
			}
			for id, keys := range sum.BoardIssues {
				got := pageAgile(t, mode, ts.URL+"/rest/agile/1.0/board/"+itoa(int(id))+"/issue?fields=summary")
				want := slices.Clone(keys)
				slices.SortFunc(want, compareKeys)
				if !slices.Equal(got, want) {
					t.Errorf("board %d issues %v, want %v", id, got, want)
				}
				sprints, _, err := c.Board.GetAllSprintsWithOptions(int(id), nil)
				if err != nil {
					t.Fatalf("sprints of board %d: %v", id, err)
				}
				if len(sprints.Values) != min(sum.Sprints[id], 50) {
					t.Errorf("board %d: %d sprints, converter wrote %d", id, len(sprints.Values), sum.Sprints[id])
				}
			}
		})
	}
}

// converted is what a --data directory holds, read from its files.
type converted struct {
	Issues      []string
	Histories   map[string]int
	Boards      []int64
	BoardIssues map[int64][]string
	Sprints     map[int64]int
}

func readConverted(t *testing.T, dir string) converted {
	t.Helper()
	c := converted{Histories: map[string]int{}, BoardIssues: map[int64][]string{}, Sprints: map[int64]int{}}
	files, err := filepath.Glob(filepath.Join(dir, "issues", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		var is struct {
			Key       string
			Changelog struct{ Histories []json.RawMessage }
		}
		b, err := os.ReadFile(f)
		if err != nil || json.Unmarshal(b, &is) != nil {
			t.Fatalf("%s: %v", f, err)
		}
		c.Issues = append(c.Issues, is.Key)
		c.Histories[is.Key] = len(is.Changelog.Histories)
	}
	var boards []struct{ ID int64 }
	b, _ := os.ReadFile(filepath.Join(dir, "boards.json"))
	if err := json.Unmarshal(b, &boards); err != nil {
		t.Fatalf("boards.json: %v", err)
	}
	for _, bd := range boards {
		c.Boards = append(c.Boards, bd.ID)
		id := strconv.FormatInt(bd.ID, 10)
		if txt, err := os.ReadFile(filepath.Join(dir, "board-"+id+"-issues.txt")); err == nil {
			c.BoardIssues[bd.ID] = strings.Fields(string(txt))
		}
		var sprints []json.RawMessage
		if sb, err := os.ReadFile(filepath.Join(dir, "board-"+id+"-sprints.json")); err == nil {
			_ = json.Unmarshal(sb, &sprints)
		}
		c.Sprints[bd.ID] = len(sprints)
	}
	slices.Sort(c.Boards)
	return c
}
