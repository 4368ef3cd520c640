'use client';
/**
 * Opening an edge's panel from its label. Labels live outside React Flow's edge element (EdgeLabelRenderer),
 * so React Flow's onEdgeClick never sees their clicks; the canvas hands them this callback instead. Stable
 * for the canvas' lifetime, so providing it never re-renders the edges.
 */
import { createContext, useContext } from 'react';

export const EdgeClickContext = createContext<(edgeId: string) => void>(() => undefined);

export function useEdgeClick(): (edgeId: string) => void {
  return useContext(EdgeClickContext);
}
