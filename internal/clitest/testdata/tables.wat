;; A module whose tables, each within the default limit of elements,
;; together hold 40 million: instantiation must refuse them.
(module
  (table 5000000 funcref) (table 5000000 funcref) (table 5000000 funcref) (table 5000000 funcref)
  (table 5000000 funcref) (table 5000000 funcref) (table 5000000 funcref) (table 5000000 funcref)
  (func (export "_start")))
