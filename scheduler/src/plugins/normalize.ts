// helper.DefaultNormalizeScore: scale so the highest score becomes MAX_NODE_SCORE; `reverse` flips it (fewer is better).
import { MAX_NODE_SCORE } from '../framework';

export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  for (let i = 0; i < scores.length; i++) {
    if (max === 0) { scores[i] = reverse ? MAX_NODE_SCORE : 0; continue; }
    const s = Math.trunc(MAX_NODE_SCORE * scores[i] / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
