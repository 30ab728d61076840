package collectors

import "flag"

// update rewrites the golden inventories of the fixture tests instead of
// comparing with them: go test ./collectors/ -run Golden -update.
var update = flag.Bool("update", false, "rewrite golden files")
