package org.bess.client.wire;

/**
 * One live counter as {@code STAT} reports it.
 *
 * @param id the counter's id in the counters file.
 * @param typeId its stable type ({@code org.bess.format.NodeCounter}).
 * @param value its value when sampled.
 * @param label its label.
 */
public record CounterValue(int id, int typeId, long value, String label) {}
