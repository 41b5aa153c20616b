package io.jmptcp.core.cc;

import java.util.ArrayList;
import java.util.List;

/** A group of independent single-path controllers (uncoupled cubic or reno on every subflow). */
final class UncoupledGroup implements CongestionControlGroup {
    private final String name;
    private final CongestionControlFactory factory;
    private final List<CongestionControl> members = new ArrayList<>();

    UncoupledGroup(String name, CongestionControlFactory factory) {
        this.name = name;
        this.factory = factory;
    }

    @Override
    public CongestionControl create(int mss, int initialSegments) {
        CongestionControl c = factory.create(mss, initialSegments);
        members.add(c);
        return c;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean coupled() {
        return false;
    }

    @Override
    public void unregister(CongestionControl member) {
        members.remove(member);
    }

    @Override
    public void release() {
        members.clear();
    }

    @Override
    public int size() {
        return members.size();
    }
}
