package dev.permafrost.report;

import java.util.ArrayList;
import java.util.List;

/**
 * The training loss of every {@code stride}-th step, at most {@code limit} points for a run of any length: when the
 * points fill up, every other one is dropped and the stride doubles, so the kept steps stay evenly spaced (steps
 * 0, stride, 2 x stride, ...) and the same run always keeps the same steps.
 */
public final class StepLossSample {
    /**
     * One kept step: its number in the run (from 0), how many epochs were done when it finished (2.5: half-way through
     * the third), and the mean loss of its global batch.
     */
    public record Point(long step, double epochs, double loss) {
    }

    private final int limit;
    private final List<Point> points = new ArrayList<>();
    private long stride = 1;

    public StepLossSample(int limit) {
        if (limit < 2) throw new IllegalArgumentException("a step-loss sample needs room for at least 2 points, got " + limit);
        this.limit = limit;
    }

    public void add(long step, double epochs, double loss) {
        if (step % stride != 0) return;
        if (points.size() == limit) {
            List<Point> kept = new ArrayList<>(limit / 2 + 1);
            for (Point p : points) if (p.step() % (2 * stride) == 0) kept.add(p);
            points.clear();
            points.addAll(kept);
            stride *= 2;
            if (step % stride != 0) return;
        }
        points.add(new Point(step, epochs, loss));
    }

    public long stride() {
        return stride;
    }

    public List<Point> points() {
        return List.copyOf(points);
    }
}
