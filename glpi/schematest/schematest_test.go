package schematest

import (
	"os"
	"testing"
)

func TestExamples(t *testing.T) {
	for _, f := range []string{"computer_1.json", "computer_2.json", "computer_1_partial_softs.json"} {
		b, _ := os.ReadFile("../../../shared/glpi/" + f)
		Validate(t, b)
	}
	if err := Get(t).Validate([]byte(`{"deviceid":"x","content":{}}`)); err == nil {
		t.Error("want error")
	} else {
		t.Log(err)
	}
}
