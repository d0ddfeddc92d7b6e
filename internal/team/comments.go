package team

import "go.yaml.in/yaml/v3"

// keepComments copies onto the freshly built tree to the comments of the
// file it replaces, node by node where the same key or list item is still
// there, and the style of each list and of each member mapping (a person
// who wrote {recipient: ..., sign: ...} as a block keeps the block). The
// content and order come from the new tree, so a removed member takes their
// comment with them; a member whose value changes shape (a key becoming a
// mapping, or back) keeps the comments on the value. The old tree is only
// read: Clone shares it.
func keepComments(old, new *yaml.Node) {
	if old == nil || new == nil {
		return
	}
	new.HeadComment, new.LineComment, new.FootComment = old.HeadComment, old.LineComment, old.FootComment
	switch {
	case old.Kind == yaml.DocumentNode && new.Kind == yaml.DocumentNode && len(old.Content) > 0 && len(new.Content) > 0:
		keepComments(old.Content[0], new.Content[0])
	case old.Kind == yaml.MappingNode && new.Kind == yaml.MappingNode:
		// Only mappings built in flow style (member values) take the old
		// style: the top-level ones stay block whatever the file was.
		if new.Style&yaml.FlowStyle != 0 {
			new.Style = old.Style & yaml.FlowStyle
		}
		for i := 0; i+1 < len(new.Content); i += 2 {
			for j := 0; j+1 < len(old.Content); j += 2 {
				if old.Content[j].Value == new.Content[i].Value {
					keepComments(old.Content[j], new.Content[i])
					keepComments(old.Content[j+1], new.Content[i+1])
					break
				}
			}
		}
	case old.Kind == yaml.SequenceNode && new.Kind == yaml.SequenceNode:
		new.Style = old.Style
		for _, n := range new.Content {
			for _, o := range old.Content {
				if o.Value == n.Value {
					keepComments(o, n)
					break
				}
			}
		}
	}
}
