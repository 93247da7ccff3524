import PairDxCore
