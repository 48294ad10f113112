package dev.permafrost.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named parameters of one network, in flat-view order, covering the flat vector without gaps.
 * Everything above this package (plans, shards, the parameter server) speaks in these names.
 */
public record ParamTable(List<NamedParam> params, List<String> layerNames) {

    public ParamTable {
        params = List.copyOf(params);
        layerNames = List.copyOf(layerNames);
        long expected = 0;
        Map<String, NamedParam> seen = new LinkedHashMap<>();
        for (NamedParam p : params) {
            if (p.offset() != expected) {
                throw new IllegalArgumentException("parameter " + p.name() + " starts at " + p.offset()
                        + " but the previous parameter ends at " + expected + ": the flat view must be covered in order");
            }
            if (seen.put(p.name(), p) != null) {
                throw new IllegalArgumentException("two parameters are named " + p.name()
                        + ": give the layers distinct names");
            }
            expected = p.end();
        }
    }

    public long totalLength() {
        return params.isEmpty() ? 0 : params.get(params.size() - 1).end();
    }

    public int size() {
        return params.size();
    }

    public NamedParam get(int index) {
        return params.get(index);
    }

    public List<String> names() {
        List<String> names = new ArrayList<>(params.size());
        for (NamedParam p : params) names.add(p.name());
        return Collections.unmodifiableList(names);
    }

    /** The parameter with this name, or an error listing the names there are. */
    public NamedParam byName(String name) {
        for (NamedParam p : params) {
            if (p.name().equals(name)) return p;
        }
        throw new IllegalArgumentException("no parameter named '" + name + "'; the network has: " + String.join(", ", names()));
    }

    public int indexOf(String name) {
        for (int i = 0; i < params.size(); i++) {
            if (params.get(i).name().equals(name)) return i;
        }
        return -1;
    }
}
